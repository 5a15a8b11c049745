"""Container behaviour that dependency-injector leaves to chance: start-up and shutdown.

`LifecycleContainer` replaces `init_resources()` / `shutdown_resources()` so that
- every resource reachable from the container starts, in dependency order, exactly once:
  declared ones, those added by a subclass, nested with `providers.Container`, or inline
  inside another provider (`containers.discovery` finds them);
- both are always awaitable, even when every resource is overridden by a plain fake;
- an overridden resource is never started (its fake stands in), so no real resource leaks;
- shutdown runs in the reverse order of start-up and closes everything that started,
  even a resource overridden after it started;
- a failure half-way through start-up closes what had already started;
- logs and errors name resources by provider path, and several teardown failures are
  raised together as one `ExceptionGroup`.
"""

import inspect
import logging
from collections.abc import Iterable
from typing import Any

from dependency_injector import containers, providers

from containers.discovery import Service, resources

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

    async def init_resources(  # always awaitable, unlike the base
        self, resource_type: ResourceType = providers.BaseResource
    ) -> None:
        """Start every resource not replaced by an override, dependencies first."""
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
            if started:
                logger.error("starting %s failed: closing what had started", started[-1].path)
            try:
                await _shutdown(reversed(started))
            except Exception as teardown:
                error.add_note(f"closing what had started failed too: {teardown!r}")
            raise

    async def shutdown_resources(  # always awaitable, unlike the base
        self, resource_type: ResourceType = providers.BaseResource
    ) -> None:
        """Stop every started resource, dependents before their dependencies."""
        await _shutdown(
            service
            for service in reversed(resources(self))
            if isinstance(service.provider, resource_type)
        )


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
