"""How endpoints reach services: from the request's application container, on each request.

Every form here is per application (each `create_app(container)` serves its own container;
nothing is wired process-wide) and honours overrides, because the provider is called on
every request: a test's `override_services(container, users=fake)` or
`container.users.override(fake)` is seen by the next request.

- Parameters, the FastAPI way: `users: Users`, with `Users = Annotated[UserRepository,
  Inject(Container.users)]`. `Inject` is an async FastAPI dependency, so it runs on the
  event loop. dependency-injector's `@inject` + `Depends(Provide[...])` markers are sync
  callables, which FastAPI runs in its thread pool: one thread hop per marker per request.
- The same parameters under `@inject` (this module's): the decorator resolves them itself
  before calling the endpoint, so FastAPI solves no dependency for them. FastAPI's
  dependency solving costs more per request than the lookup it performs; this is the form
  to use on busy endpoints. It reads the same and behaves the same.
- Calls in the body: `users = await users_repository(request)`, for a lookup needed only
  sometimes (the repository on a cache miss).
"""

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

from dependency_injector import containers, providers
from fastapi import Depends, Request
from fastapi.params import Depends as DependsMarker

from containers import Container
from containers.discovery import declared_paths
from providers.cache import CacheService
from providers.users import UserRepository


def app_container(request: Request) -> Container:
    """The container this application was built with (`create_app(container)`).

    Read as `state["container"]`: on every request, and Starlette's `State` answers an
    attribute read only after the ordinary lookup has failed and raised `AttributeError`.
    """
    container: Container = request.app.state["container"]
    return container


def Inject(provider: providers.Provider[Any]) -> Any:  # noqa: N802  # reads like Provide[...]
    """A FastAPI dependency giving what `provider` gives on the request's own container.

    `provider` is named on the container class (`Container.users`, `AppContainer.mailer`,
    `AppContainer.infra.mailer`); each request asks the provider at the same path on the
    container its application serves, and awaits it.
    """
    return Depends(_resolver(provider))


class _Lookup:
    """Finds, on a container instance, the provider declared on its class as `provider`."""

    def __init__(self, provider: providers.Provider[Any]) -> None:
        self.provider = provider
        self.paths: dict[type[Any], tuple[str, ...]] = {}  # one per container class

    def path_in(self, container: containers.Container) -> tuple[str, ...]:
        declared_by: type[Any] = getattr(container, "declarative_parent")  # noqa: B009  # the stubs mistype it
        path = self.paths.get(declared_by)
        if path is None:
            declared = declared_paths(declared_by).get(self.provider)
            if declared is None:
                raise LookupError(
                    f"{self.provider!r} is not declared on {declared_by.__name__}: "
                    "Inject() takes a provider of the container class the app was built with"
                )
            path = self.paths[declared_by] = tuple(declared.split("."))
        return path

    async def __call__(self, container: containers.Container) -> Any:
        target: Any = container
        for name in self.path_in(container):
            target = getattr(target, name)
        return await target()


Resolver = Callable[[Request], Awaitable[Any]]
_LOOKUPS: dict[Resolver, _Lookup] = {}
"""The dependencies `Inject` made, and their lookups: `@inject` calls these itself."""


def _resolver(provider: providers.Provider[Any]) -> Resolver:
    lookup = _Lookup(provider)

    async def resolve(request: Request) -> Any:
        return await lookup(app_container(request))

    _LOOKUPS[resolve] = lookup
    return resolve


EndpointT = TypeVar("EndpointT", bound=Callable[..., Awaitable[Any]])


def inject(endpoint: EndpointT) -> EndpointT:
    """Resolve the endpoint's `Inject` parameters before calling it, outside FastAPI.

    Put it under the route decorator. The endpoint FastAPI sees has no such parameters
    (and a `Request` one if it had none), so FastAPI solves nothing for them; the result
    is the same as without the decorator.
    """
    signature = inspect.signature(endpoint)
    hints = get_type_hints(endpoint, include_extras=True)
    injected: dict[str, _Lookup] = {}
    kept: list[inspect.Parameter] = []
    for name, parameter in signature.parameters.items():
        lookup = _injected_by(hints.get(name), parameter.default)
        if lookup is not None:
            injected[name] = lookup
        else:
            kept.append(parameter.replace(annotation=hints.get(name, parameter.annotation)))
    if not injected:
        return endpoint
    request_name = next((p.name for p in kept if p.annotation is Request), None)
    added_request = request_name is None
    if request_name is None:
        request_name = "request"
        kept.append(
            inspect.Parameter(request_name, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )

    @functools.wraps(endpoint)
    async def with_services(*args: Any, **values: Any) -> Any:
        request = values.pop(request_name) if added_request else values[request_name]
        container = app_container(request)
        for name, lookup in injected.items():
            values[name] = await lookup(container)
        return await endpoint(*args, **values)

    with_services.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=kept, return_annotation=hints.get("return", signature.return_annotation)
    )
    return with_services  # type: ignore[return-value]


def _injected_by(hint: Any, default: Any) -> _Lookup | None:
    """The `Inject` lookup a parameter asks for, in its `Annotated` hint or its default."""
    markers = [*get_args(hint)[1:]] if get_origin(hint) is Annotated else []
    for marker in [*markers, default]:
        if isinstance(marker, DependsMarker) and marker.dependency in _LOOKUPS:
            return _LOOKUPS[marker.dependency]
    return None


Users = Annotated[UserRepository, Inject(Container.users)]
"""The user repository (or a test's fake), as an endpoint parameter: `users: Users`."""

Cache = Annotated[CacheService, Inject(Container.cache)]
"""The cache (or a test's fake), as an endpoint parameter: `cache: Cache`."""


async def users_repository(request: Request) -> UserRepository:
    """The user repository, or the fake a test put in its place."""
    backend: UserRepository = await app_container(request).users()
    return backend


async def cache_service(request: Request) -> CacheService:
    """The cache, or the fake a test put in its place."""
    cache: CacheService = await app_container(request).cache()
    return cache
