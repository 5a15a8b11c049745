"""Which failures answer 503 (retry later) and which 500: decided by Wirework's error types."""

from typing import Any

import httpx
import pytest

from providers.errors import DatabaseConnectionLostError, ServiceNotReadyError


@pytest.mark.parametrize(
    "error",
    [
        DatabaseConnectionLostError("PostgreSQL connection pg-1 was lost"),
        ServiceNotReadyError("Database service not initialized"),
    ],
)
async def test_retryable_failures_answer_503(
    client: httpx.AsyncClient, mock_users: Any, error: Exception
) -> None:
    """A lost link or a service not started yet is worth a retry: 503 with Retry-After."""
    mock_users.page.side_effect = error
    response = await client.get("/api/users")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert str(error) not in response.text


async def test_a_builtin_connection_error_is_not_a_lost_database(
    client: httpx.AsyncClient, mock_users: Any
) -> None:
    """Any library's ConnectionError (an HTTP client, a socket) is a server fault, not a 503."""
    mock_users.page.side_effect = ConnectionError("connection refused by some-api:443")
    response = await client.get("/api/users")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
