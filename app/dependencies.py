"""How endpoints reach services: `Annotated` aliases over `Inject(Container.x)`, as `users: Users`.
Each request calls the provider on its own application's container, so an override is seen by
the next request and nothing is wired process-wide; `InjectingRoute` resolves them itself."""

import asyncio
import contextlib
import functools
import inspect
import typing
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, cast

from dependency_injector import providers
from fastapi import Depends, HTTPException, Request
from fastapi.params import Depends as DependsMarker
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from containers import Container, RequestScoped
from containers.discovery import declared_paths
from providers.auth import LoginLimiter, TokenService
from providers.cache import CacheService
from providers.database import Transaction
from providers.users import UserRepository

CLIENT_CLOSED_REQUEST: Final = 499
"""The status of a request whose client left before the response (nginx's number)."""
_REQUEST: Final = "wirework_request"  # the request, when the endpoint takes none


def app_container(request: Request) -> Container:
    """The container this application was built with (`create_app(container)`)."""
    return cast("Container", request.app.state.container)


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


@dataclass(eq=False)
class _Resolver:
    """The dependency `Inject` declares: `provider`'s value on the request's container."""

    provider: providers.Provider[Any]

    async def __call__(self, request: Request) -> Any:
        return await self.provider_at(app_container(request))()

    def provider_at(self, container: Any) -> Any:
        """The provider at `provider`'s declared path on `container` (maybe a subclass's)."""
        path = _declared_path(self.provider, container.declarative_parent)
        return functools.reduce(getattr, path, container)

    async def opened(self, request: Request) -> AsyncIterator[Any]:
        """A `RequestScoped` provider's value, entered for the request and exited before the
        response (a failing commit still answers an error). A client that leaves cancels the
        request, which uvicorn would let run on, and commit, for nobody."""
        provider = self.provider_at(app_container(request))
        value = await provider()
        if provider.overridden:  # a test's stand-in: handed over as it is
            yield value
            return
        task = cast("asyncio.Task[Any]", asyncio.current_task())
        watcher = asyncio.create_task(_cancel_on_disconnect(request, task))
        try:
            async with value as opened:
                try:
                    yield opened
                finally:
                    watcher.cancel()  # the endpoint is done: its value closes as it ended
        except asyncio.CancelledError:
            left = watcher.done() and not watcher.cancelled()
            if not left or task.uncancel() > 0:
                raise
            raise HTTPException(CLIENT_CLOSED_REQUEST, "the client closed the connection") from None
        finally:
            watcher.cancel()


async def _cancel_on_disconnect(request: Request, task: asyncio.Task[Any]) -> None:
    """Cancel `task` once the client disconnects, after reading whatever body is left (FastAPI
    has read the body of an endpoint that takes one before the scope opens)."""
    with contextlib.suppress(ClientDisconnect):
        with contextlib.suppress(RuntimeError):  # streamed by the endpoint's form parsing
            await request.body()
        while (await request.receive())["type"] != "http.disconnect":
            pass
    task.cancel()


def Inject(provider: providers.Provider[Any]) -> Any:  # noqa: N802  # reads like Provide[...]
    """A FastAPI dependency giving what `provider` (declared on a container class) gives on the
    request's container; a `RequestScoped` value is opened for the request."""
    resolver = _Resolver(provider)
    if isinstance(provider, RequestScoped):
        return Depends(resolver.opened, scope="function")
    return Depends(resolver)


def _is_request(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, Request)


def _resolving_services(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` resolving its `Inject` parameters itself: FastAPI sees only the others, plus
    the request when the endpoint takes none."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    parameters = [
        parameter.replace(annotation=hints.get(name, parameter.annotation))
        for name, parameter in inspect.signature(endpoint).parameters.items()
    ]
    resolvers = {
        p.name: marker.dependency
        for p in parameters
        for marker in getattr(p.annotation, "__metadata__", ())
        if isinstance(marker, DependsMarker) and isinstance(marker.dependency, _Resolver)
    }
    if not resolvers:
        return endpoint
    kept = [p for p in parameters if p.name not in resolvers]
    request_name = next((p.name for p in kept if _is_request(p.annotation)), None)
    if request_name is None:
        kept.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))

    async def with_services(**values: Any) -> Any:
        request = values[request_name] if request_name else values.pop(_REQUEST)
        container = request.app.state.container
        for name, resolver in resolvers.items():
            values[name] = await resolver.provider_at(container)()
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
    """An `APIRoute` resolving its async endpoint's `Inject` parameters itself (a sync endpoint
    keeps them as FastAPI dependencies, run with it in the thread pool)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):
            endpoint = _resolving_services(endpoint)
        super().__init__(path, endpoint, **options)


# The container's services as endpoint parameters (`users: Users`), a test's fake included.
Users = Annotated[UserRepository, Inject(Container.users)]
Cache = Annotated[CacheService, Inject(Container.cache)]
Tokens = Annotated[TokenService, Inject(Container.tokens)]
Limiter = Annotated[LoginLimiter, Inject(Container.login_limiter)]
UnitOfWork = Annotated[Transaction, Inject(Container.unit_of_work)]
"""This request's transaction, `tx: UnitOfWork`: committed when the endpoint returns, rolled
back when it raises or the client disconnects. Pass it on as `tx=tx` to repositories."""
