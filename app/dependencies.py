"""How endpoints reach services: `Annotated` aliases over `Inject(Container.x)`.

`users: Users` as an endpoint parameter gives the user repository of the container the
request's own application serves (`create_app(container)`); nothing is wired process-wide.
The provider is called on every request, so an override (`container.users.override(fake)`,
`override_services(container, users=fake)`) is seen by the next request.

`Inject` is an ordinary FastAPI dependency, so it works on any route. A router built with
`APIRouter(route_class=InjectingRoute)` gives the same values without FastAPI solving one
sub-dependency per service: the route resolves them itself, once per request. Either way a
test replaces a service through the container (`override_services`), not through FastAPI's
`dependency_overrides`, which such a route never consults.
"""

import functools
import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Final

from dependency_injector import providers
from fastapi import Depends, Request
from fastapi.params import Depends as DependsMarker
from fastapi.routing import APIRoute

from app.request_scope import per_request
from containers import Container, RequestScoped
from containers.discovery import declared_paths
from providers.cache import CacheService
from providers.database import Transaction
from providers.users import UserRepository

_REQUEST: Final = "wirework_request"
"""Parameter through which FastAPI hands an `InjectingRoute` endpoint its request, when the
endpoint declares none of its own."""


def app_container(request: Request) -> Container:
    """The container this application was built with (`create_app(container)`)."""
    container: Container = request.app.state.container
    return container


@functools.cache
def _declared_path(
    provider: providers.Provider[Any], container_class: type[Any]
) -> tuple[str, ...]:
    path = declared_paths(container_class).get(provider)
    if path is None:
        raise LookupError(
            f"{provider!r} is not declared on {container_class.__name__}: "
            "Inject() takes a provider of the container class the app was built with"
        )
    return tuple(path.split("."))


class _Resolver:
    """The dependency `Inject` declares: `provider`'s value on the request's container."""

    def __init__(self, provider: providers.Provider[Any]) -> None:
        self.provider = provider

    async def __call__(self, request: Request) -> Any:
        return await self.resolve(app_container(request))

    async def resolve(self, container: Any) -> Any:
        """What the provider at the declared path of `container` gives."""
        return await self.provider_at(container)()

    def provider_at(self, container: Any) -> Any:
        """The provider at the declared path of `container`."""
        target = container
        for name in _declared_path(self.provider, container.declarative_parent):
            target = getattr(target, name)
        return target


def Inject(provider: providers.Provider[Any]) -> Any:  # noqa: N802  # reads like Provide[...]
    """An async FastAPI dependency giving what `provider` (named on a container class, e.g.
    `AppContainer.infra.mailer`) gives at the same path on the request's application
    container, which may be an instance of a subclass. A `RequestScoped` provider's value
    is opened for the request and closed after the endpoint (`app.request_scope`)."""
    resolver = _Resolver(provider)
    if isinstance(provider, RequestScoped):
        return Depends(
            per_request(lambda request: resolver.provider_at(app_container(request))),
            scope="function",
        )
    return Depends(resolver)


def _resolver_of(annotation: Any) -> _Resolver | None:
    if typing.get_origin(annotation) is not Annotated:
        return None
    for marker in annotation.__metadata__:
        if isinstance(marker, DependsMarker) and isinstance(marker.dependency, _Resolver):
            return marker.dependency
    return None


Endpoint = Callable[..., Coroutine[Any, Any, Any]]


def _is_request(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, Request)


def _resolving_services(endpoint: Endpoint) -> Endpoint:
    """`endpoint` with its `Inject` parameters resolved by itself: the signature FastAPI reads
    lists only the others, plus the request when the endpoint takes none."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    parameters = [
        parameter.replace(annotation=hints.get(name, parameter.annotation))
        for name, parameter in inspect.signature(endpoint).parameters.items()
    ]
    injected = {
        parameter.name: resolver
        for parameter in parameters
        if (resolver := _resolver_of(parameter.annotation)) is not None
    }
    if not injected:
        return endpoint
    kept = [parameter for parameter in parameters if parameter.name not in injected]
    request_name = next((p.name for p in kept if _is_request(p.annotation)), None)
    if request_name is None:
        request_name = _REQUEST
        kept.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    passes_request = request_name != _REQUEST
    services = tuple(injected.items())

    async def with_services(**values: Any) -> Any:
        request: Request = values[request_name] if passes_request else values.pop(_REQUEST)
        container = request.app.state.container
        for name, resolver in services:
            values[name] = await resolver.resolve(container)
        return await endpoint(**values)

    # Not functools.wraps: FastAPI would follow `__wrapped__` back to the full signature.
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(with_services, attribute, getattr(endpoint, attribute))
    returned = hints.get("return", inspect.Signature.empty)
    with_services.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        sorted(kept, key=lambda parameter: parameter.kind),
        return_annotation=None if returned is type(None) else returned,  # as FastAPI reads it
    )
    return with_services


class InjectingRoute(APIRoute):
    """An `APIRoute` that resolves its endpoint's `Inject` parameters itself (async endpoints
    only; a sync one keeps them as FastAPI dependencies, run with it in the thread pool)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):
            endpoint = _resolving_services(endpoint)
        super().__init__(path, endpoint, **options)


Users = Annotated[UserRepository, Inject(Container.users)]
"""The user repository (or a test's fake), as an endpoint parameter: `users: Users`."""

Cache = Annotated[CacheService, Inject(Container.cache)]
"""The cache (or a test's fake), as an endpoint parameter: `cache: Cache`."""

UnitOfWork = Annotated[Transaction, Inject(Container.unit_of_work)]
"""This request's transaction, `tx: UnitOfWork`: committed when the endpoint returns, rolled
back when it raises or the client disconnects. Pass it on as `tx=tx` to repositories."""
