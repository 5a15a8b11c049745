"""Resource lifecycles: build a service, initialise it, hand it out, close it at shutdown."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar

from dependency_injector import providers


class ManagedService(Protocol):
    """What the container needs of a service to own its lifecycle."""

    async def initialize(self) -> None: ...
    async def close(self) -> None: ...


ServiceT = TypeVar("ServiceT", bound=ManagedService)


def managed(
    factory: Callable[..., ServiceT], **options: Any
) -> AbstractAsyncContextManager[ServiceT]:
    """Resource body shared by every service: initialise on start, always close on stop.

    Checked before anything is built: a provider called without `await`, from code where
    no event loop runs, would otherwise fail deep inside dependency-injector with
    "There is no current event loop" or hand out a future that never resolves.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        name = getattr(factory, "__name__", repr(factory))
        raise RuntimeError(
            f"{name} is asynchronous: await its provider from async code "
            f"(`service = await container.<name>()`); it was called where no event loop "
            f"runs (synchronous code or a worker thread)"
        ) from None
    return _lifecycle(factory, options)


@asynccontextmanager
async def _lifecycle(
    factory: Callable[..., ServiceT], options: dict[str, Any]
) -> AsyncIterator[ServiceT]:
    service = factory(**options)
    await service.initialize()
    try:
        yield service
    finally:
        await service.close()


class RequestScoped(providers.Factory[Any]):
    """A provider whose value lives for one request and is closed after it.

    It builds an async context manager per call (`RequestScoped(DatabaseService.transaction,
    database)`); `Inject` enters it before the endpoint runs and exits it once the endpoint
    returned, before the response is sent: a transaction commits, or rolls back when the
    endpoint raised or the client left. Like a `Resource`, an override
    (`container.x.override(fake)`) replaces the whole lifecycle: the fake is handed to the
    endpoint as it is, never entered. It is no service: readiness, statistics and the graph
    list only the resources it uses.
    """
