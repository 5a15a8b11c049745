"""How endpoints reach services: `Annotated` aliases over `Inject(Container.x)`.

`users: Users` as an endpoint parameter gives the user repository of the container the
request's own application serves (`create_app(container)`); nothing is wired process-wide.
The provider is called on every request, so an override (`container.users.override(fake)`,
`override_services(container, users=fake)`) is seen by the next request.
"""

import functools
from typing import Annotated, Any

from dependency_injector import providers
from fastapi import Depends, Request

from app.request_scope import per_request
from containers import Container, RequestScoped
from containers.discovery import declared_paths
from providers.cache import CacheService
from providers.database import Transaction
from providers.users import UserRepository


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


def Inject(provider: providers.Provider[Any]) -> Any:  # noqa: N802  # reads like Provide[...]
    """An async FastAPI dependency giving what `provider` (named on a container class, e.g.
    `AppContainer.infra.mailer`) gives at the same path on the request's application
    container, which may be an instance of a subclass. A `RequestScoped` provider's value
    is opened for the request and closed after the endpoint (`app.request_scope`)."""

    def provider_at(request: Request) -> Any:
        target: Any = app_container(request)
        for name in _declared_path(provider, target.declarative_parent):
            target = getattr(target, name)
        return target

    if isinstance(provider, RequestScoped):
        return Depends(per_request(provider_at), scope="function")

    async def resolve(request: Request) -> Any:
        return await provider_at(request)()

    return Depends(resolve)


Users = Annotated[UserRepository, Inject(Container.users)]
"""The user repository (or a test's fake), as an endpoint parameter: `users: Users`."""

Cache = Annotated[CacheService, Inject(Container.cache)]
"""The cache (or a test's fake), as an endpoint parameter: `cache: Cache`."""

UnitOfWork = Annotated[Transaction, Inject(Container.unit_of_work)]
"""This request's transaction, `tx: UnitOfWork`: committed when the endpoint returns, rolled
back when it raises or the client disconnects. Pass it on as `tx=tx` to repositories."""
