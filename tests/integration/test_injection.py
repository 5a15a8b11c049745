"""The injection form: `Annotated` aliases over `Inject(Container.x)`, on FastAPI's own routes
and on `InjectingRoute`, which resolves them without FastAPI's sub-dependencies."""

from typing import Annotated
from unittest.mock import MagicMock

import pytest
from dependency_injector import providers
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.dependencies import Cache, Inject, InjectingRoute
from app.testing import isolated_settings
from containers import Container, override_services
from tests.unit.test_extending import Mailer, NestedContainer

RelayMailer = Annotated[Mailer, Inject(NestedContainer.infra.mailer)]


ROUTE_CLASSES = pytest.mark.parametrize("route_class", [APIRoute, InjectingRoute])


def _app(container: Container, route_class: type[APIRoute] = APIRoute) -> FastAPI:
    app = FastAPI()
    app.router.route_class = route_class
    app.state.container = container

    @app.get("/cache-type")
    async def cache_type(cache: Cache, prefix: str = "") -> dict[str, str]:
        return {"type": prefix + type(cache).__name__}

    return app


def _container() -> Container:
    container = Container()
    container.settings.override(isolated_settings(None))
    return container


@ROUTE_CLASSES
def test_each_application_serves_its_own_container(route_class: type[APIRoute]) -> None:
    """Nothing is wired process-wide: two apps, two containers, two answers."""
    faked = _container()
    real = _container()
    with override_services(faked, cache=MagicMock()):
        with TestClient(_app(faked, route_class)) as client:
            assert client.get("/cache-type").json() == {"type": "MagicMock"}
        with TestClient(_app(real, route_class)) as client:
            assert client.get("/cache-type", params={"prefix": ">"}).json() == {
                "type": ">CacheService"
            }


@ROUTE_CLASSES
def test_an_override_is_seen_by_the_next_request(route_class: type[APIRoute]) -> None:
    container = _container()
    client = TestClient(_app(container, route_class))
    first = client.get("/cache-type").json()["type"]
    with container.cache.override(providers.Object(MagicMock())):
        assert client.get("/cache-type").json() == {"type": "MagicMock"}
    assert client.get("/cache-type").json()["type"] == first


@ROUTE_CLASSES
def test_a_nested_service_is_injected_by_its_declared_provider(
    route_class: type[APIRoute],
) -> None:
    container = NestedContainer()
    container.settings.override(isolated_settings(None))
    app = FastAPI()
    app.router.route_class = route_class
    app.state.container = container

    @app.get("/relay")
    async def relay(mailer: RelayMailer) -> dict[str, str]:
        return {"host": mailer.host}

    with container.infra.mailer.override(Mailer(host="relay.test")):
        assert TestClient(app).get("/relay").json() == {"host": "relay.test"}


@ROUTE_CLASSES
def test_a_provider_of_another_container_class_is_refused_by_name(
    route_class: type[APIRoute],
) -> None:
    """An app built on `Container` cannot be asked for `NestedContainer`'s relay."""
    app = FastAPI()
    app.router.route_class = route_class
    app.state.container = _container()

    @app.get("/relay")
    async def relay(mailer: RelayMailer) -> dict[str, str]:
        return {"host": mailer.host}

    with pytest.raises(LookupError, match="is not declared on Container"):
        TestClient(app).get("/relay")


def test_an_injecting_route_keeps_the_endpoint_s_own_request_and_its_api() -> None:
    """The endpoint still gets the request it declares, under its own name; the OpenAPI
    document is the one FastAPI's own route gives (the services are no parameters)."""

    def build(route_class: type[APIRoute]) -> FastAPI:
        app = _app(_container(), route_class)

        @app.get("/echo/{word}")
        async def echo(word: str, cache: Cache, incoming: Request, times: int = 1) -> str:
            """Say it again."""
            return f"{word * times} {incoming.url.path} {type(cache).__name__}"

        return app

    plain, injecting = build(APIRoute), build(InjectingRoute)
    assert injecting.openapi() == plain.openapi()
    with TestClient(injecting) as client:
        assert client.get("/echo/ab", params={"times": 2}).json() == "abab /echo/ab CacheService"


def test_a_sync_endpoint_on_an_injecting_route_keeps_its_dependencies() -> None:
    app = _app(_container(), InjectingRoute)

    @app.get("/sync")
    def sync(cache: Cache) -> str:
        return type(cache).__name__

    with TestClient(app) as client:
        assert client.get("/sync").json() == "CacheService"
