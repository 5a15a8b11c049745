"""How the container holds a service: for the whole run (`managed`) or for one request."""

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
    """Resource body of every service: build it, initialise it on start, always close it on stop.

    Without an event loop (a provider called without `await`, from synchronous code)
    dependency-injector would fail deep inside with "There is no current event loop", or
    hand out a future that never resolves: say what to do instead, before building anything.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            f"{getattr(factory, '__name__', repr(factory))} is asynchronous: await its provider "
            "from async code (`service = await container.<name>()`); it was called where no "
            "event loop runs (synchronous code or a worker thread)"
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
    """A provider whose value is an async context manager entered for one request.

    `Inject` enters it before the endpoint runs and exits it once the endpoint returned,
    before the response is sent. An override replaces the whole lifecycle: the fake is handed
    to the endpoint as it is, never entered. It is no service: only what it uses is one.
    """
