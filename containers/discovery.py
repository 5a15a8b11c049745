"""Which services a container holds: every `providers.Resource` reachable from it, named by
its provider path (`database`, `infra.mailer`; `greeter.mailer` for one inline in `greeter`)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from dependency_injector import containers, providers

Provider = providers.Provider[Any]
Resource = providers.BaseResource[Any]
T = TypeVar("T")


class DegradableResource(providers.Resource[T]):
    """A service the application still serves without, only worse (a cache: misses):
    readiness reports it degraded, where any other failing service makes it fail."""


@dataclass(frozen=True, slots=True)
class Service:
    """One resource, the paths of the services it reaches directly, and whether it stands in
    for (overrides) another resource, answering to that one's path."""

    path: str
    provider: Resource
    depends_on: tuple[str, ...]
    stands_in: bool = False

    @property
    def degradable(self) -> bool:
        return isinstance(self.provider, DegradableResource)


class DependencyCycleError(RuntimeError):
    """Resources depend on each other in a cycle, so no order starts or stops them all."""

    def __init__(self, message: str, acyclic: list[Service]) -> None:
        super().__init__(message)
        self.acyclic = acyclic  # the services outside every cycle, dependencies first


def services(container: containers.Container) -> list[Service]:
    """The container's services, each after those it depends on; stand-ins are not listed."""
    return [service for service in resources(container) if not service.stands_in]


def declared_paths(container: Any, prefix: str = "") -> dict[Provider, str]:
    """Provider -> its declared path, nested containers included, for a container or its class."""
    declared: dict[Provider, str] = {}
    for name, provider in container.providers.items():
        declared.setdefault(provider, prefix + name)
        if isinstance(provider, providers.Container):
            declared = declared_paths(provider.container, f"{prefix}{name}.") | declared
    return declared


def resources(container: containers.Container, *, skip_overridden: bool = False) -> list[Service]:
    """Every resource reachable from `container`, stand-ins included, dependencies first.

    With `skip_overridden` the walk enters only the overrides of an overridden provider, as
    start-up needs; shutdown walks everything, since a resource may have started before the
    override. Raises `DependencyCycleError` on a cycle.
    """
    declared = declared_paths(container)
    paths: dict[Provider, str] = {}
    reached: dict[Provider, tuple[Resource, ...]] = {}  # resources reached, none passed through
    needs: dict[Resource, tuple[Resource, ...]] = {}  # in start order
    stack: list[Provider] = []
    cycles: list[str] = []
    in_cycles: set[Provider] = set()

    def visit(provider: Provider, path: str) -> tuple[Resource, ...]:
        if provider in stack:  # harmless unless a resource is on the loop
            loop = stack[stack.index(provider) :]
            if in_loop := [p for p in loop if isinstance(p, providers.BaseResource)]:
                cycles.append(" -> ".join(paths[p] for p in [*loop, provider]))
                in_cycles.update(in_loop)
            return ()
        if provider in reached:
            return reached[provider]
        paths[provider] = declared.get(provider, path)
        stack.append(provider)
        below: list[Resource] = []
        for label, child in _children(provider, skip_overridden):
            below += visit(child, paths[provider] + label)
        stack.pop()
        reached[provider] = tuple(dict.fromkeys(below))  # each once, in the order first reached
        if isinstance(provider, providers.BaseResource):
            needs[provider] = reached[provider]
            reached[provider] = (provider,)
        return reached[provider]

    for name, provider in container.providers.items():  # declaration order breaks ties
        visit(provider, name)
    stand_ins = {child for provider in paths for child in provider.overridden}
    walked = [
        Service(paths[r], r, tuple(paths[d] for d in below if d not in stand_ins), r in stand_ins)
        for r, below in needs.items()
    ]
    if cycles:
        raise DependencyCycleError(
            f"resources depend on each other in a cycle: {'; '.join(cycles)}. Hint: one of "
            "them must not need the other at start-up; give it a Factory or a Callable that "
            "it calls when it needs the other.",
            [service for service in walked if service.provider not in in_cycles],
        )
    return walked


def _children(provider: Provider, skip_overridden: bool) -> Iterator[tuple[str, Provider]]:
    """What `provider` uses, each with the suffix naming it under `provider`: its overrides
    first, named as `provider` itself; then `.name` for keyword arguments, attributes and named
    members, `[i]` for positional ones."""
    overriding = provider.overridden
    for child in overriding:
        yield "", child
    if skip_overridden and overriding:
        return
    # Only what the provider's class defines: `provided` chains and nested containers answer
    # any attribute, with a provider they invent.
    own = {key: getattr(provider, key) for key in _PARTS if hasattr(type(provider), key)}
    named = [own[key] for key in _PARTS[:3] if isinstance(own.get(key), dict)]
    labels = {c: f".{n}" for part in named for n, c in part.items() if providers.is_provider(c)}
    for index, child in enumerate(own.get("args", ())):
        if providers.is_provider(child):
            labels.setdefault(child, f"[{index}]")
    for child in provider.related:
        if child not in overriding:
            yield labels.get(child, f".{type(child).__name__}"), child


_PARTS = ("kwargs", "attributes", "providers", "args")
