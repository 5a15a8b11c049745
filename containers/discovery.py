"""Which services a container holds, under which names, and what each one needs.

The container is the only registry of services: a service is any `providers.Resource`
reachable from it, whether declared on the container, added in a subclass, nested with
`providers.Container` or written inline inside another provider. Its name is its provider
path (`database`, `infra.mailer`; `greeter.mailer` for a resource inline in `greeter`).
Start-up, shutdown, readiness, statistics, metrics, `python -m app check` and the
`/status` page all read the services from here, so none of them keeps a list of names.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from dependency_injector import containers, providers

__all__ = [
    "DegradableResource",
    "DependencyCycleError",
    "Service",
    "declared_paths",
    "dependency_edges",
    "resources",
    "services",
]

Provider = providers.Provider[Any]
Resource = providers.BaseResource[Any]
T = TypeVar("T")


class DegradableResource(providers.Resource[T]):
    """A service the application still serves without, only worse (a cache: misses).

    Every other service is required: readiness fails when one of them fails its ping,
    and reports this one as degraded instead.
    """


@dataclass(frozen=True, slots=True)
class Service:
    """One resource of a container: its provider path, its provider, the services it needs."""

    path: str
    provider: Resource
    depends_on: tuple[str, ...]
    """Paths of the services this one reaches directly (through any non-resource provider)."""
    stands_in: bool = False
    """True for a resource that overrides another: it answers to that resource's path."""

    @property
    def degradable(self) -> bool:
        """True when the application serves, degraded, while this service fails."""
        return isinstance(self.provider, DegradableResource)


class DependencyCycleError(RuntimeError):
    """Resources depend on each other in a cycle, so no order starts or stops them all."""

    def __init__(self, message: str, acyclic: list[Service]) -> None:
        super().__init__(message)
        self.acyclic = acyclic  # the services outside every cycle, dependencies first


def services(container: containers.Container) -> list[Service]:
    """The container's services, each after the services it depends on.

    A resource overriding another (a test's stand-in) is not listed separately: the
    service's path already gives the stand-in, as `await <path>()` would.
    """
    return [service for service in resources(container) if not service.stands_in]


def dependency_edges(container: containers.Container) -> dict[str, tuple[str, ...]]:
    """Service path -> the paths of the services it depends on, in start order."""
    return {service.path: service.depends_on for service in services(container)}


def declared_paths(container: Any) -> dict[Provider, str]:
    """Provider -> its declared path, nested containers included, for a container or its class."""
    declared: dict[Provider, str] = {}
    _declare(declared, container.providers, prefix="")
    return declared


def resources(container: containers.Container, *, skip_overridden: bool = False) -> list[Service]:
    """Every resource reachable from `container`, each after the resources it depends on.

    Raises `DependencyCycleError` when some depend on each other in a cycle.

    With `skip_overridden`, the walk does not enter what an overridden provider would have
    used: only its overrides. That is what start-up needs (a replaced service opens
    nothing); shutdown walks everything, since a resource may have started before the
    override.
    """
    return _Walk(container, skip_overridden).run()


class _Walk:
    """A depth-first walk over `provider.related`, naming each resource by its path."""

    def __init__(self, container: containers.Container, skip_overridden: bool) -> None:
        self.skip_overridden = skip_overridden
        self.roots = container.providers
        self.declared = declared_paths(container)
        self.paths: dict[Provider, str] = {}
        self.stand_ins: set[Provider] = set()
        # For each provider walked: the resources it reaches without passing another one.
        self.reached: dict[Provider, tuple[Resource, ...]] = {}
        self.children: dict[Provider, list[tuple[str, Provider]]] = {}
        self.order: list[Resource] = []
        self.on_stack: list[Provider] = []
        self.cycles: list[str] = []
        self.in_cycles: set[Provider] = set()

    def run(self) -> list[Service]:
        for name, provider in self.roots.items():  # declaration order breaks ties
            self.visit(provider, name)
        walked = [
            Service(self.paths[r], r, self._paths_needed(r), r in self.stand_ins)
            for r in self.order
        ]
        if self.cycles:
            raise DependencyCycleError(
                f"resources depend on each other in a cycle: {'; '.join(self.cycles)}. Hint: one "
                "of them must not need the other at start-up; give it a Factory or a Callable "
                "that it calls when it needs the other.",
                [service for service in walked if service.provider not in self.in_cycles],
            )
        return walked

    def visit(self, provider: Provider, path: str) -> tuple[Resource, ...]:
        if provider in self.reached:
            return self.reached[provider]
        if provider in self.on_stack:  # harmless unless a resource is on the loop
            loop = self.on_stack[self.on_stack.index(provider) :]
            if in_loop := [p for p in loop if isinstance(p, providers.BaseResource)]:
                self.cycles.append(" -> ".join(self.paths[p] for p in [*loop, provider]))
                self.in_cycles.update(in_loop)
            return ()
        self.paths[provider] = self.declared.get(provider, path)
        self.children[provider] = list(self._children(provider))
        self.on_stack.append(provider)
        for label, child in self.children[provider]:
            self.visit(child, f"{self.paths[provider]}{label}")
        self.on_stack.pop()
        if isinstance(provider, providers.BaseResource):
            self.order.append(provider)
            self.reached[provider] = (provider,)
        else:
            self.reached[provider] = self._children_reached(provider)
        return self.reached[provider]

    def _paths_needed(self, resource: Resource) -> tuple[str, ...]:
        needed = self._children_reached(resource)
        return tuple(self.paths[r] for r in needed if r not in self.stand_ins)

    def _children_reached(self, provider: Provider) -> tuple[Resource, ...]:
        found: dict[Resource, None] = {}
        for _, child in self.children[provider]:
            found.update(dict.fromkeys(self.reached.get(child, ())))
        return tuple(found)

    def _children(self, provider: Provider) -> Iterator[tuple[str, Provider]]:
        """What `provider` uses, each with the suffix that names it under `provider`."""
        overriding = provider.overridden
        related = list(provider.related)
        if not related:
            return
        for child in overriding:
            if isinstance(child, providers.BaseResource):
                self.stand_ins.add(child)
            yield "", child
        if self.skip_overridden and overriding:
            return
        labels = _labels(provider)
        for child in related:
            if child not in overriding:
                yield labels.get(child, f".{type(child).__name__}"), child


def _declare(declared: dict[Provider, str], named: dict[str, Provider], prefix: str) -> None:
    """Record the declared path of every provider, nested containers included."""
    for name, provider in named.items():
        declared.setdefault(provider, f"{prefix}{name}")
        if isinstance(provider, providers.Container):
            _declare(declared, provider.container.providers, f"{prefix}{name}.")


def _labels(provider: Provider) -> dict[Provider, str]:
    """`.name` for keyword arguments, attributes and named members; `[i]` for positional ones."""
    if isinstance(provider, providers.Container | providers.DependenciesContainer):
        # Asked for anything else, these look it up as a provider, or invent one.
        members = cast(dict[str, Provider], provider.providers)
        return {child: f".{name}" for name, child in members.items()}
    # Only what the provider's class defines: `provided` chains answer any attribute.
    own = {key: getattr(provider, key) for key in _PARTS if hasattr(type(provider), key)}
    parts = [own[key] for key in _PARTS[:3] if isinstance(own.get(key), dict)]
    labels = {c: f".{n}" for part in parts for n, c in part.items() if providers.is_provider(c)}
    for index, child in enumerate(own.get("args", ())):
        if providers.is_provider(child):
            labels.setdefault(child, f"[{index}]")
    return labels


_PARTS = ("kwargs", "attributes", "providers", "args")
