"""Resource lifecycles: build a service, initialise it, hand it out, close it at shutdown."""

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, TypeVar


class ManagedService(Protocol):
    """What the container needs of a service to own its lifecycle."""

    async def initialize(self) -> None: ...
    async def close(self) -> None: ...


ServiceT = TypeVar("ServiceT", bound=ManagedService)


async def managed(factory: Callable[..., ServiceT], **options: Any) -> AsyncIterator[ServiceT]:
    """Resource body shared by every service: initialise on start, always close on stop."""
    service = factory(**options)
    await service.initialize()
    try:
        yield service
    finally:
        await service.close()
