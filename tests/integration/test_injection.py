"""The injection form: `Annotated` aliases over `Inject(Container.x)`."""

from typing import Annotated
from unittest.mock import MagicMock

import pytest
from dependency_injector import providers
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.dependencies import Cache, Inject
from app.testing import isolated_settings
from containers import Container, override_services
from tests.unit.test_extending import Mailer, NestedContainer

RelayMailer = Annotated[Mailer, Inject(NestedContainer.infra.mailer)]


def _app(container: Container) -> FastAPI:
    app = FastAPI()
    app.state.container = container

    @app.get("/cache-type")
    async def cache_type(cache: Cache, prefix: str = "") -> dict[str, str]:
        return {"type": prefix + type(cache).__name__}

    return app


def _container() -> Container:
    container = Container()
    container.settings.override(isolated_settings(None))
    return container


def test_each_application_serves_its_own_container() -> None:
    """Nothing is wired process-wide: two apps, two containers, two answers."""
    faked = _container()
    real = _container()
    with override_services(faked, cache=MagicMock()):
        with TestClient(_app(faked)) as client:
            assert client.get("/cache-type").json() == {"type": "MagicMock"}
        with TestClient(_app(real)) as client:
            assert client.get("/cache-type", params={"prefix": ">"}).json() == {
                "type": ">CacheService"
            }


def test_an_override_is_seen_by_the_next_request() -> None:
    container = _container()
    client = TestClient(_app(container))
    first = client.get("/cache-type").json()["type"]
    with container.cache.override(providers.Object(MagicMock())):
        assert client.get("/cache-type").json() == {"type": "MagicMock"}
    assert client.get("/cache-type").json()["type"] == first


def test_a_nested_service_is_injected_by_its_declared_provider() -> None:
    container = NestedContainer()
    container.settings.override(isolated_settings(None))
    app = FastAPI()
    app.state.container = container

    @app.get("/relay")
    async def relay(mailer: RelayMailer) -> dict[str, str]:
        return {"host": mailer.host}

    with container.infra.mailer.override(Mailer(host="relay.test")):
        assert TestClient(app).get("/relay").json() == {"host": "relay.test"}


def test_a_provider_of_another_container_class_is_refused_by_name() -> None:
    """An app built on `Container` cannot be asked for `NestedContainer`'s relay."""
    app = FastAPI()
    app.state.container = _container()

    @app.get("/relay")
    async def relay(mailer: RelayMailer) -> dict[str, str]:
        return {"host": mailer.host}

    with pytest.raises(LookupError, match="is not declared on Container"):
        TestClient(app).get("/relay")
