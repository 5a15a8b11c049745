"""Request scope: `tx: UnitOfWork` is one transaction per request, committed when the endpoint
returns and rolled back when it raises or the client disconnects, on SQLite and PostgreSQL.
The endpoint is the example of docs/extending.md (`tests/examples/orders/router.py`)."""

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.dependencies import UnitOfWork
from app.main import create_app
from app.testing import isolated_settings
from config import Settings
from providers.database import DatabaseService, Transaction
from tests.examples.orders.router import Orders, OrdersContainer
from tests.examples.orders.router import router as orders_router
from tests.helpers import fake
from tests.servers import InProcessServer

MIGRATIONS = "tests.examples.orders.migrations"
TEA, JAM, NOTHING = {"item": "tea", "quantity": 2}, {"item": "jam", "quantity": 1}, {"item": "x"}
ORDER = {"customer": "ada", "lines": [TEA, JAM]}
FAILING_ORDER = {"customer": "bob", "lines": [TEA, {**NOTHING, "quantity": 0}]}

reached_the_wait = threading.Event()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return isolated_settings(tmp_path, database={"url": database_url, "migrations": [MIGRATIONS]})


@pytest.fixture
def container(settings: Settings) -> OrdersContainer:
    container = OrdersContainer()
    container.settings.override(settings)
    return container


@pytest.fixture
def app(container: OrdersContainer) -> FastAPI:
    app = create_app(container)
    app.include_router(orders_router)

    @app.post("/api/orders/slow")
    async def order_then_wait(tx: UnitOfWork, orders: Orders) -> None:
        """Writes an order, then waits for the client to leave."""
        await orders.create({"customer": "slow", "total": 1}, tx=tx)
        reached_the_wait.set()
        await asyncio.sleep(3600)

    @app.get("/api/unit-of-work")
    async def unit_of_work(tx: UnitOfWork) -> dict[str, str]:
        return {"type": type(tx).__name__, "state": tx.state}

    return app


async def _counts(database: DatabaseService) -> tuple[int, int]:
    rows = await database.execute_query(
        "SELECT (SELECT COUNT(*) FROM orders) AS orders,"
        " (SELECT COUNT(*) FROM order_lines) AS lines"
    )
    return int(rows["rows"][0]["orders"]), int(rows["rows"][0]["lines"])


async def test_both_tables_are_committed_when_the_endpoint_returns(
    client: httpx.AsyncClient, container: OrdersContainer
) -> None:
    response = await client.post("/api/orders", json=ORDER)
    assert response.status_code == 201
    assert response.json() == {"id": 1, "customer": "ada", "total": 3}
    database = await container.database()
    assert await _counts(database) == (1, 2)
    assert database.get_stats()["committed_transactions"] == 1


async def test_both_tables_are_rolled_back_when_the_endpoint_raises(
    client: httpx.AsyncClient, container: OrdersContainer
) -> None:
    """The second line breaks a CHECK: the order and the first line are undone too."""
    response = await client.post("/api/orders", json=FAILING_ORDER)
    assert response.status_code == 422
    assert response.json()["error"] == "check_violation"
    database = await container.database()
    assert await _counts(database) == (0, 0)
    assert database.get_stats()["rolled_back_transactions"] == 1


async def test_the_value_is_open_in_the_endpoint_and_one_per_request(
    client: httpx.AsyncClient, container: OrdersContainer
) -> None:
    for _ in range(2):
        answer = (await client.get("/api/unit-of-work")).json()
        assert answer == {"type": "Transaction", "state": "open"}
    assert (await container.database()).get_stats()["committed_transactions"] == 2


async def test_an_override_is_handed_over_as_it_is(
    client: httpx.AsyncClient, container: OrdersContainer
) -> None:
    stand_in = fake(Transaction)
    stand_in.state = "a test's stand-in"
    with container.unit_of_work.override(stand_in):
        answer = (await client.get("/api/unit-of-work")).json()
    assert answer == {"type": type(stand_in).__name__, "state": "a test's stand-in"}
    stand_in.__aenter__.assert_not_called()
    assert (await container.database()).get_stats()["committed_transactions"] == 0


async def test_no_connection_or_transaction_is_left_after_1000_requests(
    client: httpx.AsyncClient, container: OrdersContainer
) -> None:
    for number in range(1000):
        response = await client.post("/api/orders", json=FAILING_ORDER if number % 2 else ORDER)
        assert response.status_code == (422 if number % 2 else 201)
    stats = (await container.database()).get_stats()
    assert (stats["in_use_connections"], stats["open_transactions"]) == (0, 0)
    assert (stats["committed_transactions"], stats["rolled_back_transactions"]) == (500, 500)
    assert await _counts(await container.database()) == (500, 1000)


def _wait_until_no_transaction_is_open(database: DatabaseService, timeout: float = 30) -> None:
    """The server's own loop ends the request: wait for it (from a thread), at most `timeout`."""
    deadline = time.monotonic() + timeout
    while database.get_stats()["open_transactions"] and time.monotonic() < deadline:
        time.sleep(0.01)


async def test_a_client_that_disconnects_rolls_the_request_back(
    app: FastAPI, container: OrdersContainer, database_url: str
) -> None:
    """A real server: the client sends a request, then closes the connection while the
    endpoint holds its transaction open. The request is cancelled and rolls back."""
    reached_the_wait.clear()
    with InProcessServer(app) as server:
        body = b"{}"
        request = (
            f"POST /api/orders/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            connection.sendall(request)
            assert await asyncio.to_thread(reached_the_wait.wait, 30)
        database = await container.database()
        await asyncio.to_thread(_wait_until_no_transaction_is_open, database)
        stats = database.get_stats()
        assert (stats["open_transactions"], stats["in_use_connections"]) == (0, 0)
        assert (stats["rolled_back_transactions"], stats["committed_transactions"]) == (1, 0)
    reader = DatabaseService(database_url, migrations=[])
    await reader.initialize()
    try:
        assert await _counts(reader) == (0, 0)
    finally:
        await reader.close()
