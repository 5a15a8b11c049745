"""Which failures answer 503 (retry later) and which 500: decided by Wirework's error types."""

from unittest.mock import AsyncMock

import pytest
from fastapi.testclient import TestClient

from providers.errors import DatabaseConnectionLostError, ServiceNotReadyError


@pytest.mark.parametrize(
    "error",
    [
        DatabaseConnectionLostError("PostgreSQL connection pg-1 was lost"),
        ServiceNotReadyError("Database service not initialized"),
    ],
)
def test_retryable_failures_answer_503(
    client: TestClient, mock_users: AsyncMock, error: Exception
) -> None:
    """A lost link or a service not started yet is worth a retry: 503 with Retry-After."""
    mock_users.list_users.side_effect = error
    response = client.get("/api/users")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert str(error) not in response.text


def test_a_builtin_connection_error_is_not_a_lost_database(
    client: TestClient, mock_users: AsyncMock
) -> None:
    """Any library's ConnectionError (an HTTP client, a socket) is a server fault, not a 503."""
    mock_users.list_users.side_effect = ConnectionError("connection refused by some-api:443")
    response = client.get("/api/users")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
