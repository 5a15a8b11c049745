"""Container behaviour that dependency-injector leaves to chance: start-up and shutdown.

`LifecycleContainer` replaces `init_resources()` / `shutdown_resources()` so that
- both are always awaitable, even when every resource is overridden by a plain fake;
- an overridden resource is never started (its fake stands in), so no real resource leaks;
- shutdown runs in the reverse order of start-up, following indirect dependencies too,
  and awaits every async teardown whatever async mode a provider ended up in;
- a failure half-way through start-up closes what had already started.
"""

import inspect
import logging
from collections.abc import Iterator
from typing import Any

from dependency_injector import containers, providers

logger = logging.getLogger(__name__)


def _resource_dependencies(
    resource: providers.BaseResource[Any],
) -> Iterator[providers.BaseResource[Any]]:
    """Every resource this one needs, directly or through other providers."""
    for provider in resource.traverse(types=[providers.BaseResource]):
        if provider is not resource:
            yield provider


class LifecycleContainer(containers.DynamicContainer):
    """A dynamic container whose resources start and stop in dependency order."""

    def resources_in_start_order(self) -> list[providers.BaseResource[Any]]:
        """Resources ordered so each comes after everything it depends on."""
        ordered: list[providers.BaseResource[Any]] = []

        def visit(resource: providers.BaseResource[Any], path: tuple[Any, ...]) -> None:
            if resource in ordered:
                return
            if resource in path:
                raise RuntimeError(f"resources depend on each other in a cycle: {resource}")
            for dependency in _resource_dependencies(resource):
                visit(dependency, (*path, resource))
            ordered.append(resource)

        for provider in self.providers.values():  # declaration order breaks ties
            if isinstance(provider, providers.BaseResource):
                visit(provider, ())
        return ordered

    async def init_resources(  # always awaitable, unlike the base
        self, resource_type: type[providers.BaseResource[Any]] = providers.BaseResource
    ) -> None:
        """Start every resource not replaced by an override, dependencies first."""
        started: list[providers.BaseResource[Any]] = []
        try:
            for resource in self.resources_in_start_order():
                if not isinstance(resource, resource_type) or resource.overridden:
                    continue
                result = resource.init()
                started.append(resource)
                if inspect.isawaitable(result):
                    await result
        except BaseException:
            await self._shutdown(reversed(started))
            raise

    async def shutdown_resources(  # always awaitable, unlike the base
        self, resource_type: type[providers.BaseResource[Any]] = providers.BaseResource
    ) -> None:
        """Stop every started resource, dependents before their dependencies."""
        await self._shutdown(
            resource
            for resource in reversed(self.resources_in_start_order())
            if isinstance(resource, resource_type)
        )

    @staticmethod
    async def _shutdown(resources: Iterator[providers.BaseResource[Any]]) -> None:
        errors: list[BaseException] = []
        for resource in resources:
            if not resource.initialized:
                continue
            try:
                result = resource.shutdown()
                if inspect.isawaitable(result):
                    await result
            except Exception as error:  # keep closing the others, then report
                logger.exception("shutting down %s failed", resource)
                errors.append(error)
        if errors:
            raise errors[0]
