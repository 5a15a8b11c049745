"""How the container holds a service: for the whole run (`managed`), for one request
(`RequestScoped`) or, in tests, a fake in its place (`override_services`); all of them started
and stopped in dependency order, logged by path."""

import asyncio
import inspect
import logging
from asyncio import Task
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar

from dependency_injector import containers, providers

from containers.discovery import DependencyCycleError, Service, resources

logger = logging.getLogger(__name__)

Resource = providers.BaseResource
ResourceType = type[Resource[Any]]
_NAMESPACES = (providers.Container, providers.DependenciesContainer, providers.Self)


class ManagedService(Protocol):
    """What the container needs of a service to own its lifecycle."""

    async def initialize(self) -> None: ...
    async def close(self) -> None: ...


ServiceT = TypeVar("ServiceT", bound=ManagedService)


def managed(
    factory: Callable[..., ServiceT], **options: Any
) -> AbstractAsyncContextManager[ServiceT]:
    """Resource body of every service: build it, initialise it on start, always close it on stop.
    Without an event loop dependency-injector would fail obscurely: say so before building."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            f"{getattr(factory, '__name__', repr(factory))} is asynchronous: await its provider "
            "from async code (`service = await container.<name>()`); it was called where no "
            "event loop runs (synchronous code or a worker thread)"
        ) from None
    return _lifecycle(factory(**options))


@asynccontextmanager
async def _lifecycle(service: ServiceT) -> AsyncIterator[ServiceT]:
    await service.initialize()
    try:
        yield service
    finally:
        await service.close()


class RequestScoped(providers.Factory[Any]):
    """A provider whose value is an async context manager that `Inject` enters for one request;
    a fake overriding it is handed over as it is, never entered."""


def override_services(container: containers.Container, **fakes: Any) -> AbstractContextManager[Any]:
    """Replace services by name for the body of a `with`, e.g. `database=AsyncMock()`; one
    replaced before start-up never starts, one replaced after it is still closed at shutdown."""
    for name in fakes:
        if not isinstance(getattr(container, name, None), providers.Provider):
            known = ", ".join(sorted(container.providers))
            raise ValueError(f"the container has no service {name!r}; it has: {known}")
    return container.override_providers(**{n: providers.Object(f) for n, f in fakes.items()})


def declare_async_mode(container: containers.Container) -> None:
    """Put every resource, and every provider that reaches one, in async mode for good: else a
    plain fake called first would leave the real service's teardown un-awaited."""
    provider: providers.Provider[Any]
    for provider in container.traverse():
        # A namespace gives the container itself when called, which is not awaited.
        if not isinstance(provider, _NAMESPACES) and (
            isinstance(provider, Resource) or any(provider.traverse(types=[Resource]))
        ):
            provider.enable_async_mode()


class LifecycleContainer(containers.DynamicContainer):
    """A dynamic container whose resources start and stop in dependency order."""

    def init_resources(self, resource_type: ResourceType = Resource) -> Task[None]:
        """Start every resource not replaced by an override, dependencies first, once; when
        one fails, close what had started."""
        return _run_on_loop(self._start, resource_type, "init_resources")

    def shutdown_resources(self, resource_type: ResourceType = Resource) -> Task[None]:
        """Stop every started resource, overridden since or not, dependents first; resources
        in a cycle stay open, named by the error raised once the others are closed."""
        return _run_on_loop(self._stop, resource_type, "shutdown_resources")

    async def _start(self, kind: ResourceType) -> None:
        started: list[Service] = []
        try:
            for service in resources(self, skip_overridden=True):
                resource = service.provider
                if isinstance(resource, kind) and not (resource.overridden or resource.initialized):
                    started.append(service)
                    await _maybe_await(resource.init())
                    logger.debug("started %s", service.path)
        except BaseException as error:
            if started:  # the last one is the one that failed; the caller reports the error
                error.add_note(f"while starting {started[-1].path}")
            try:
                await _shutdown(reversed(started))
            except Exception as teardown:
                error.add_note(f"closing what had started failed too: {teardown!r}")
            raise

    async def _stop(self, kind: ResourceType) -> None:
        try:
            walked, cycle = resources(self), None
        except DependencyCycleError as error:
            walked, cycle = error.acyclic, f"Unable to resolve resources shutdown order: {error}"
        await _shutdown(s for s in reversed(walked) if isinstance(s.provider, kind))
        if cycle:
            raise DependencyCycleError(cycle, [])


def _run_on_loop(
    work: Callable[[ResourceType], Coroutine[Any, Any, None]], kind: ResourceType, call: str
) -> Task[None]:
    """Run `work` on the running event loop, so it happens even if the caller forgets `await`."""
    if not (isinstance(kind, type) and issubclass(kind, Resource)):
        raise TypeError(f"resource_type must be a subclass of Resource provider, not {kind!r}")
    try:
        return asyncio.get_running_loop().create_task(work(kind))
    except RuntimeError:
        raise RuntimeError(
            f"{call}() starts or stops asynchronous services: call `await container.{call}()` "
            "from async code (in a script, inside the coroutine given to `asyncio.run`)"
        ) from None


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):
        await result


async def _shutdown(services: Iterable[Service]) -> None:
    """Close each started service; every failure is logged and raised, several as a group."""
    errors: list[Exception] = []
    closed: list[str] = []
    for service in (service for service in services if service.provider.initialized):
        try:
            await _maybe_await(service.provider.shutdown())
            closed.append(service.path)
        except Exception as error:  # keep closing the others
            logger.exception("shutting down %s failed", service.path)
            error.add_note(f"while shutting down {service.path}")
            errors.append(error)
    if closed:
        logger.info("closed %s", ", ".join(closed))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup(f"{len(errors)} resources failed to shut down", errors)
