"""The hand-written FastAPI apps the full Wirework app is measured against.

Both serve `GET /api/users/{id}` and `POST /api/users` doing exactly what Wirework's
endpoints do, on the same services (pool, cache, repository, schemas), so the comparison
isolates what the framework adds per request: the container, its injection path and its
middlewares. They differ only in how an endpoint reaches its services:

- `manual_app`: manual wiring, the endpoint reads a plain attribute (the limit);
- `depends_app`: FastAPI `Depends` only, one dependency per service;
- `inject_app`: Wirework's container, services as `Annotated` parameters over
  `app.dependencies.Inject` (the documented form) on `InjectingRoute` routes;
- `provide_app`: Wirework's container through dependency-injector's own `@inject` +
  `Depends(Provide[...])`, wired to this module.

Run one with `uvicorn bench.http_apps:manual_app --factory`; `BENCH_DATABASE_URL` names
the SQLite file.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from dependency_injector.wiring import Provide, inject
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status

from app.routers.users import UserId
from app.schemas import UserCreate, UserPublic
from providers.cache import CacheService
from providers.database import DatabaseService
from providers.users import DuplicateUserError, UserRepository


@dataclass
class Services:
    """What the lifespan opens; `users` and `cache` are what endpoints reach for."""

    database: DatabaseService
    cache: CacheService
    users: UserRepository


class _NotFoundError(LookupError):
    pass


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The same sizes as Wirework's defaults (database 1..5, cache 10,000 entries, 300 s).
    database = DatabaseService(os.environ["BENCH_DATABASE_URL"], min_size=1, max_size=5)
    await database.initialize()
    cache = CacheService(max_size=10_000, default_ttl=300)
    await cache.initialize()
    app.state.services = Services(database, cache, UserRepository(database))
    try:
        yield
    finally:
        await cache.close()
        await database.close()


async def _create(
    body: UserCreate, users: UserRepository, request: Request, response: Response
) -> Any:
    fields = body.model_dump(exclude_unset=True, exclude={"password"})
    fields.setdefault("is_active", body.is_active)
    try:
        user = await users.create(fields)
    except DuplicateUserError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    response.headers["Location"] = str(request.url_for("get_user", user_id=user.id))
    return UserPublic.model_validate(user)


async def _read(user_id: int, users: UserRepository, cache: CacheService) -> Any:
    async def load() -> dict[str, Any]:
        user = await users.get(user_id)
        if user is None:
            raise _NotFoundError
        return UserPublic.model_validate(user).model_dump(mode="json")

    try:
        return await cache.get_or_set(f"user:{user_id}", load)
    except _NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}") from None


def _app() -> FastAPI:
    app = FastAPI(lifespan=_lifespan)

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    return app


def manual_app() -> FastAPI:
    """Endpoints read their services from an attribute: nothing to resolve per request."""
    app = _app()

    @app.post("/api/users", status_code=status.HTTP_201_CREATED)
    async def create_user(body: UserCreate, request: Request, response: Response) -> UserPublic:
        services: Services = request.app.state.services
        return await _create(body, services.users, request, response)  # type: ignore[no-any-return]

    @app.get("/api/users/{user_id}", name="get_user", response_model=UserPublic)
    async def get_user(user_id: UserId, request: Request) -> dict[str, Any]:
        services: Services = request.app.state.services
        return await _read(user_id, services.users, services.cache)  # type: ignore[no-any-return]

    return app


async def _users(request: Request) -> UserRepository:
    services: Services = request.app.state.services
    return services.users


async def _cache(request: Request) -> CacheService:
    services: Services = request.app.state.services
    return services.cache


Users = Annotated[UserRepository, Depends(_users)]
Cache = Annotated[CacheService, Depends(_cache)]


def depends_app() -> FastAPI:
    """Endpoints take their services as FastAPI dependencies (async, so no thread hop)."""
    app = _app()

    @app.post("/api/users", status_code=status.HTTP_201_CREATED)
    async def create_user(
        body: UserCreate, users: Users, request: Request, response: Response
    ) -> UserPublic:
        return await _create(body, users, request, response)  # type: ignore[no-any-return]

    @app.get("/api/users/{user_id}", name="get_user", response_model=UserPublic)
    async def get_user(user_id: UserId, users: Users, cache: Cache) -> dict[str, Any]:
        return await _read(user_id, users, cache)  # type: ignore[no-any-return]

    return app


@asynccontextmanager
async def _container_lifespan(app: FastAPI) -> AsyncIterator[None]:
    container = app.state.container
    await container.init_resources()
    try:
        yield
    finally:
        await container.shutdown_resources()


def _container_app() -> FastAPI:
    from containers import Container  # noqa: PLC0415  # reads APP_DATABASE__URL when built

    app = FastAPI(lifespan=_container_lifespan)
    app.state.container = Container()

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    return app


def inject_app() -> FastAPI:
    """Endpoints take services as `Annotated` parameters: `users: Users, cache: Cache`,
    on routes that resolve them themselves (`InjectingRoute`, as the app's routers)."""
    from app.dependencies import Cache, InjectingRoute, Users  # noqa: PLC0415

    app = _container_app()
    app.router.route_class = InjectingRoute

    @app.post("/api/users", status_code=status.HTTP_201_CREATED)
    async def create_user(
        body: UserCreate, users: Users, request: Request, response: Response
    ) -> UserPublic:
        return await _create(body, users, request, response)  # type: ignore[no-any-return]

    @app.get("/api/users/{user_id}", name="get_user", response_model=UserPublic)
    async def get_user(user_id: UserId, users: Users, cache: Cache) -> dict[str, Any]:
        return await _read(user_id, users, cache)  # type: ignore[no-any-return]

    return app


def provide_app() -> FastAPI:
    """dependency-injector's markers: `@inject` + `Depends(Provide[Container.x])`.

    FastAPI runs each marker (a sync callable) in its thread pool; `@inject` then replaces
    it with the provider's result, awaiting async providers.
    """
    import sys  # noqa: PLC0415

    from containers import Container  # noqa: PLC0415

    app = _container_app()

    @app.post("/api/users", status_code=status.HTTP_201_CREATED)
    @inject
    async def create_user(
        body: UserCreate,
        request: Request,
        response: Response,
        users: UserRepository = Depends(Provide[Container.users]),  # noqa: B008
    ) -> UserPublic:
        return await _create(body, users, request, response)  # type: ignore[no-any-return]

    @app.get("/api/users/{user_id}", name="get_user", response_model=UserPublic)
    @inject
    async def get_user(
        user_id: UserId,
        users: UserRepository = Depends(Provide[Container.users]),  # noqa: B008
        cache: CacheService = Depends(Provide[Container.cache]),  # noqa: B008
    ) -> dict[str, Any]:
        return await _read(user_id, users, cache)  # type: ignore[no-any-return]

    app.state.container.wire(modules=[sys.modules[__name__]])
    return app
