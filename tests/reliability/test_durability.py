"""Durability: a write the server acknowledged survives the server being killed (SIGKILL).

Writers keep creating users while the test kills the server mid-stream, so some writes are
in flight when it dies. After a restart every acknowledged user must be there, with the
id the 201 reported, and nothing must be there that no client ever sent.
"""

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import StartServer
from tests.servers import ServerProcess

pytestmark = pytest.mark.slow

ACKNOWLEDGED_BEFORE_KILL = 1000
"""How many 201s the test waits for before it pulls the plug."""
WRITERS = 10


async def _write_until_killed(server: ServerProcess) -> tuple[dict[int, str], set[str]]:
    """Create users from `WRITERS` clients until the server dies after enough 201s.

    Returns the acknowledged users (id -> username) and every username ever sent.
    """
    acknowledged: dict[int, str] = {}
    attempted: set[str] = set()
    enough = asyncio.Event()
    numbers = iter(range(1_000_000))

    async def writer(client: httpx.AsyncClient) -> None:
        for number in numbers:
            username = f"durable{number}"
            attempted.add(username)
            body = {"username": username, "email": f"{username}@example.com"}
            try:
                response = await client.post("/api/users", json=body)
            except httpx.TransportError:
                return  # the server is gone; this write may or may not have landed
            assert response.status_code == 201, response.text
            acknowledged[response.json()["id"]] = username
            if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                enough.set()

    async with server.async_client() as client:
        writers = [asyncio.create_task(writer(client)) for _ in range(WRITERS)]
        await asyncio.wait_for(enough.wait(), timeout=120)
        server.kill()  # while the other writers still have requests in flight
        await asyncio.wait_for(asyncio.gather(*writers), timeout=30)
    return acknowledged, attempted


def _stored_users(server: ServerProcess) -> dict[int, str]:
    stored: dict[int, str] = {}
    with server.client() as client:
        total = int(client.get("/api/users", params={"limit": 1}).headers["x-total-count"])
        while len(stored) < total:
            page = client.get("/api/users", params={"limit": 100, "offset": len(stored)})
            assert page.status_code == 200, page.text
            assert page.json(), f"listing ended at {len(stored)} of {total} users"
            stored.update((user["id"], user["username"]) for user in page.json())
    return stored


async def _check_kill_and_restart(server: ServerProcess) -> int:
    acknowledged, attempted = await _write_until_killed(server)
    assert server.wait(timeout=0) == -signal.SIGKILL

    server.start()
    server.wait_until_ready()
    stored = _stored_users(server)

    lost = {user_id: name for user_id, name in acknowledged.items() if stored.get(user_id) != name}
    assert not lost, f"{len(lost)} acknowledged users lost: {sorted(lost.items())[:10]}"
    assert set(stored.values()) <= attempted, "users appeared that no client sent"
    # Ids are unique and each username appears once: no half-written duplicates.
    assert len(set(stored.values())) == len(stored)
    print(
        f"\nSIGKILL with writes in flight: {len(acknowledged)} acknowledged, all found after "
        f"the restart; {len(stored) - len(acknowledged)} in-flight writes had landed too"
    )
    return len(acknowledged)


async def test_sqlite_file_keeps_every_acknowledged_write_through_sigkill(
    start_server: StartServer, tmp_path: Path
) -> None:
    database = tmp_path / "durable.db"
    server = start_server({"APP_DATABASE__URL": f"sqlite:///{database}"})

    survived = await _check_kill_and_restart(server)

    assert survived >= ACKNOWLEDGED_BEFORE_KILL
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@pytest.mark.postgres
async def test_postgres_keeps_every_acknowledged_write_through_sigkill(
    start_server: StartServer, postgres_url: str
) -> None:
    server = start_server({"APP_DATABASE__URL": postgres_url})

    survived = await _check_kill_and_restart(server)

    assert survived >= ACKNOWLEDGED_BEFORE_KILL
