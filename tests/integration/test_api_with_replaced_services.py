"""The HTTP API tested the way an application's tests do: services replaced by overriding
providers (`override_services`), never by patching a module global; the users endpoints
with their repository replaced, and the same flow on SQLite.
"""

from typing import Any
from unittest.mock import AsyncMock

import httpx

from app.testing import TestDataFactory
from containers import Container, override_services
from providers.database import Page
from providers.users import UserRepository
from tests.helpers import fake


async def test_health_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "healthy"


async def test_stats_endpoint(client: httpx.AsyncClient, mock_services: dict[str, Any]) -> None:
    response = await client.get("/api/stats")
    assert response.status_code == 200

    data = response.json()
    assert "database" in data
    assert "cache" in data

    db_stats = data["database"]
    assert db_stats["status"] == "initialized"
    assert db_stats["total_connections"] == 5

    cache_stats = data["cache"]
    assert cache_stats["status"] == "initialized"
    assert cache_stats["entries"] == 100

    # The background service was not overridden: the real scheduler answers.
    assert data["background"]["status"] == "running"
    mock_services["database"].get_stats.assert_called_once_with()


async def test_user_endpoints(client: httpx.AsyncClient, mock_users: Any) -> None:
    user_data = {"username": "testuser", "email": "test@example.com"}
    response = await client.post("/api/users", json=user_data)
    assert response.status_code == 201
    mock_users.create.assert_awaited_once_with({**user_data, "is_active": True})

    response = await client.get("/api/users")
    assert response.status_code == 200
    users = response.json()
    assert len(users) > 0
    assert users[0]["username"] == "testuser"
    mock_users.page.assert_awaited_once_with(limit=50, offset=0)


async def test_user_endpoints_on_sqlite(client: httpx.AsyncClient) -> None:
    """The same flow against the real SQLite repository."""
    user_data = {"username": "testuser", "email": "test@example.com"}
    response = await client.post("/api/users", json=user_data)
    assert response.status_code == 201

    response = await client.get("/api/users")
    assert response.status_code == 200
    users = response.json()
    assert len(users) == 1
    assert users[0]["username"] == "testuser"
    assert users[0]["email"] == "test@example.com"


async def test_user_endpoints_see_an_override_made_after_start_up(
    client: httpx.AsyncClient, container: Container, data_factory: TestDataFactory
) -> None:
    """An override made while the app runs applies from the very next request."""
    users = fake(UserRepository)
    users.page.return_value = Page([data_factory.create_user({"username": "from_the_fake"})], 1)
    with override_services(container, users=users):
        assert (await client.get("/api/users")).json()[0]["username"] == "from_the_fake"
    assert (await client.get("/api/users")).json() == []


async def test_stats_endpoint_with_bare_async_mocks(
    client: httpx.AsyncClient, container: Container
) -> None:
    """A service replaced by a plain `AsyncMock()` reports what its `get_stats` returns."""
    database = AsyncMock()
    database.get_stats.return_value = {"status": "initialized", "total_connections": 5}
    with override_services(container, database=database):
        response = await client.get("/api/stats")
    assert response.status_code == 200
    assert response.json()["database"] == {"status": "initialized", "total_connections": 5}
