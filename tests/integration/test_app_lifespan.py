"""The lifespan: what starts with the app, what stops with it, and what refuses to start."""

import importlib
import sys
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.security import InsecureConfigurationError
from app.testing import running_client
from containers import Container, override_services
from containers.discovery import services
from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from tests.helpers import fake


def test_pool_is_closed_after_the_lifespan(container: Container, app: FastAPI) -> None:
    async def database() -> Any:
        return await container.database()

    with TestClient(app) as client:
        assert client.portal is not None
        service = client.portal.call(database)
        assert service.is_initialized
        assert service.connection_count >= 1
        assert client.get("/api/users").status_code == 200
    assert not service.is_initialized
    assert service.connection_count == 0
    assert not container.database.initialized


async def test_services_start_and_stop_with_the_app(container: Container, app: FastAPI) -> None:
    async with LifespanManager(app):
        database = await container.database()
        cache = await container.cache()
        background = await container.background()
        assert database.is_initialized
        assert cache.is_initialized
        assert background.is_running
    assert not database.is_initialized
    assert not cache.is_initialized
    assert not background.is_running


def test_nothing_opens_before_the_lifespan(container: Container) -> None:
    create_app(container)
    for service in services(container):
        assert not service.provider.initialized, service.path


def test_importing_app_main_opens_nothing() -> None:
    sys.modules.pop("app.main", None)
    module = importlib.import_module("app.main")
    container = module.app.state.container
    for service in services(container):
        assert not service.provider.initialized, service.path


@pytest.mark.settings(environment="production")
def test_production_without_api_key_refuses_to_start(container: Container) -> None:
    with (
        pytest.raises(InsecureConfigurationError, match="APP_API_KEY"),
        TestClient(create_app(container)),
    ):
        pass  # pragma: no cover - never reached
    assert not container.database.initialized


@pytest.mark.settings(environment="production", api_key="")
async def test_production_refusal_through_an_asgi_server(app: FastAPI) -> None:
    with pytest.raises(InsecureConfigurationError, match="APP_API_KEY"):
        async with LifespanManager(app):
            pass  # pragma: no cover - never reached


STRONG_KEY = "k" + "0123456789abcdef" * 2


@pytest.mark.settings(
    environment="production", api_key=STRONG_KEY, auth={"token_secret": STRONG_KEY[::-1]}
)
async def test_production_with_a_strong_api_key_starts(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/users", headers={"X-API-Key": STRONG_KEY})
    assert response.status_code == 200


async def test_a_failed_scheduler_start_closes_what_had_started(container: Container) -> None:
    seen: dict[str, Any] = {}

    async def broken_start() -> None:
        seen["database"] = await container.database()
        seen["database_was_open"] = seen["database"].is_initialized
        raise RuntimeError("scheduler could not start")

    background = fake(BackgroundService)
    background.start.side_effect = broken_start
    with (
        override_services(container, background=background),
        pytest.raises(RuntimeError, match="scheduler could not start"),
    ):
        async with LifespanManager(create_app(container)):
            pass  # pragma: no cover - never reached
    assert seen["database_was_open"]
    assert not seen["database"].is_initialized
    assert not container.cache.initialized
    background.stop.assert_not_awaited()


async def test_the_scheduler_is_stopped_before_the_services_close(container: Container) -> None:
    order: list[str] = []
    background = fake(BackgroundService)

    async def stop() -> None:
        order.append(f"stop (database open: {(await container.database()).is_initialized})")

    background.stop.side_effect = stop
    with override_services(container, background=background):
        async with LifespanManager(create_app(container)):
            background.start.assert_awaited_once()
    assert order == ["stop (database open: True)"]


async def test_services_overridden_before_start_up_are_never_started(container: Container) -> None:
    database, cache = fake(DatabaseService), fake(CacheService)
    with override_services(container, database=database, cache=cache):
        async with running_client(create_app(container)) as client:
            assert (await client.get("/api/ready")).status_code == 200
    database.initialize.assert_not_called()
    cache.initialize.assert_not_called()
    database.ping.assert_awaited_once()


@pytest.mark.settings(reload_mode=True)
async def test_reload_mode_opens_nothing_and_says_so(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await client.get("/api/health")).status_code == 200
    assert (await client.get("/api/ready")).status_code == 503
    # The client fixture ran the lifespan while the test was being set up.
    assert any("reload_mode is on" in r.getMessage() for r in caplog.get_records("setup"))
