"""The container's providers and which needs which, found by walking the container.

The status page and `python -m app graph` draw what this returns, so a service added to
the container (declared, in a subclass, in a nested container, or inline) is drawn
without further edits. It relies only on dependency-injector's own `providers` maps and
`related` links; nothing here lists service names.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dependency_injector import containers, providers

_LINKS = (providers.Dependency, providers.DependenciesContainer, providers.Container)
"""Providers that only stand for others: followed through, never drawn."""


@dataclass(frozen=True, slots=True)
class ProviderNode:
    """One named provider: its path in the container and the paths it depends on."""

    path: str
    """Attribute path from the container: `database`, `reporting.exporter`."""
    provider: providers.Provider[Any]
    depends_on: tuple[str, ...]

    @property
    def kind(self) -> str:
        """The provider's type: `Resource`, `Singleton`, `Factory`..."""
        return type(self.provider).__name__


def _named(container: containers.Container, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, provider in container.providers.items():
        if isinstance(provider, providers.Container):
            yield from _named(provider.container, f"{prefix}{name}.")
        elif not isinstance(provider, _LINKS):
            yield f"{prefix}{name}", provider


def _inline_resources(path: str, provider: Any, paths: dict[int, str]) -> Iterator[tuple[str, Any]]:
    """Anonymous resources in another provider's arguments, named after the argument."""
    arguments = [
        *getattr(provider, "kwargs", {}).items(),
        *enumerate(getattr(provider, "args", ())),
    ]
    for key, argument in arguments:
        # An argument that is a declared provider is an edge to it, not a node of its own.
        if isinstance(argument, providers.BaseResource) and id(argument) not in paths:
            paths[id(argument)] = f"{path}.{key}"
            yield f"{path}.{key}", argument
            yield from _inline_resources(f"{path}.{key}", argument, paths)


def _dependencies(provider: Any, paths: dict[int, str]) -> list[str]:
    """Named providers reached from `provider` through anonymous ones, nearest first."""
    found: list[str] = []
    seen: set[int] = {id(provider)}
    pending = list(provider.related)
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if id(current) in paths:
            if paths[id(current)] not in found:
                found.append(paths[id(current)])
            continue
        pending.extend(current.related)
    return found


def container_graph(container: containers.Container) -> list[ProviderNode]:
    """Every named provider of `container` in declaration order, with its dependencies."""
    named = list(_named(container))
    paths = {id(provider): path for path, provider in named}
    for path, provider in list(named):
        named.extend(_inline_resources(path, provider, paths))
    return [
        ProviderNode(path, provider, tuple(_dependencies(provider, paths)))
        for path, provider in named
    ]
