"""Container behaviour that dependency-injector leaves to chance: start-up and shutdown.

`LifecycleContainer` replaces `init_resources()` / `shutdown_resources()` so that
- every resource reachable from the container starts, in dependency order, exactly once:
  declared ones, those added by a subclass, nested with `providers.Container`, or inline
  inside another provider (`containers.discovery` finds them);
- both are always awaitable, even when every resource is overridden by a plain fake, and
  run even if the caller forgets `await`; called where no event loop runs, they say so;
- an overridden resource is never started (its fake stands in), so no real resource leaks;
- shutdown runs in the reverse order of start-up and closes everything that started,
  even a resource overridden after it started; resources in a dependency cycle are left
  open and named by the error raised once every other one is closed;
- a failure half-way through start-up closes what had already started;
- logs and errors name resources by provider path, and several teardown failures are
  raised together as one `ExceptionGroup`.
"""

import asyncio
import inspect
import logging
from asyncio import Task
from collections.abc import Coroutine, Iterable
from typing import Any

from dependency_injector import containers, providers

from containers.discovery import DependencyCycleError, Service, resources

logger = logging.getLogger(__name__)

ResourceType = type[providers.BaseResource[Any]]


def declare_async_mode(container: containers.Container) -> None:
    """Put every resource, and every provider that reaches one, in async mode for good.

    Decided by the declaration rather than by whatever the first call returns: a plain
    fake called first would otherwise switch a provider to sync mode, and the real service
    would later hand its dependents an un-awaited future.
    """
    provider: providers.Provider[Any]
    for provider in container.traverse():
        if isinstance(provider, _NAMESPACES):
            continue  # calling one gives the container itself, which is not awaited
        if isinstance(provider, providers.BaseResource) or any(
            True for _ in provider.traverse(types=[providers.BaseResource])
        ):
            provider.enable_async_mode()


_NAMESPACES = (providers.Container, providers.DependenciesContainer, providers.Self)


class LifecycleContainer(containers.DynamicContainer):
    """A dynamic container whose resources start and stop in dependency order."""

    def init_resources(self, resource_type: ResourceType = providers.BaseResource) -> Task[None]:
        """Start every resource not replaced by an override, dependencies first."""
        return _run_on_loop(self._start(_checked(resource_type)), "init_resources")

    def shutdown_resources(
        self, resource_type: ResourceType = providers.BaseResource
    ) -> Task[None]:
        """Stop every started resource, dependents before their dependencies.

        With resources in a cycle, every other one is closed before the error is raised.
        """
        return _run_on_loop(self._stop(_checked(resource_type)), "shutdown_resources")

    async def _start(self, resource_type: ResourceType) -> None:
        started: list[Service] = []
        try:
            for service in resources(self, skip_overridden=True):
                resource = service.provider
                if (
                    not isinstance(resource, resource_type)
                    or resource.overridden
                    or resource.initialized
                ):
                    continue
                started.append(service)
                result = resource.init()
                if inspect.isawaitable(result):
                    await result
                logger.debug("started %s", service.path)
        except BaseException as error:
            if started:  # the last one is the one that failed; the caller reports the error
                error.add_note(f"while starting {started[-1].path}")
            try:
                await _shutdown(reversed(started))
            except Exception as teardown:
                error.add_note(f"closing what had started failed too: {teardown!r}")
            raise

    async def _stop(self, resource_type: ResourceType) -> None:
        try:
            walked, cycle = resources(self), None
        except DependencyCycleError as error:
            walked, cycle = error.acyclic, error
        await _shutdown(s for s in reversed(walked) if isinstance(s.provider, resource_type))
        if cycle is not None:
            raise DependencyCycleError(cycle.cycles, cycle.acyclic, "shutdown") from None


def _checked(resource_type: ResourceType) -> ResourceType:
    if not (isinstance(resource_type, type) and issubclass(resource_type, providers.BaseResource)):
        raise TypeError(f"resource_type must be a subclass of Resource provider: {resource_type!r}")
    return resource_type


def _run_on_loop(work: Coroutine[Any, Any, None], call: str) -> Task[None]:
    """Run `work` on the running event loop, so it happens even if the caller forgets `await`."""
    try:
        return asyncio.get_running_loop().create_task(work)
    except RuntimeError:
        work.close()
        raise RuntimeError(
            f"{call}() starts or stops asynchronous services: call `await container.{call}()` "
            "from async code (in a script, inside the coroutine given to `asyncio.run`)"
        ) from None


async def _shutdown(services: Iterable[Service]) -> None:
    errors: list[Exception] = []
    closed: list[str] = []
    for service in services:
        if not service.provider.initialized:
            continue
        try:
            result = service.provider.shutdown()
            if inspect.isawaitable(result):
                await result
        except Exception as error:  # keep closing the others, then report every failure
            logger.exception("shutting down %s failed", service.path)
            error.add_note(f"while shutting down {service.path}")
            errors.append(error)
        else:
            closed.append(service.path)
    if closed:
        logger.info("closed %s", ", ".join(closed))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup(f"{len(errors)} resources failed to shut down", errors)
