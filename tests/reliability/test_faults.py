"""Faults while the server runs: Redis gone, PostgreSQL connections killed, the SQLite file
turned read-only, a background task that hangs. Each must leave the API answering sensibly
and come back by itself once the fault is gone.

Redis faults use a private redis-server on a spare port (`spare_redis`), never the shared one.
"""

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from containers import Container
from providers.database import DatabaseService
from providers.database.pools.base import DatabaseStorageError
from tests.reliability.conftest import StartServer
from tests.servers import RedisServerProcess

pytestmark = pytest.mark.slow

RECOVERY_TIMEOUT = 15.0


async def _eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = RECOVERY_TIMEOUT
) -> float:
    """Poll `check` until it holds; the seconds it took. Fails naming `what` at the timeout."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"{what} not within {timeout} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _create(client: httpx.AsyncClient, username: str) -> dict[str, Any]:
    response = await client.post(
        "/api/users", json={"username": username, "email": f"{username}@example.com"}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- Redis stopped mid-run ---------------------------------------------------------------


def _redis_settings(redis: RedisServerProcess, tmp_path: Path) -> dict[str, str]:
    return {
        "APP_DATABASE__URL": f"sqlite:///{tmp_path / 'redis-fault.db'}",
        "APP_CACHE__BACKEND": "redis",
        "APP_CACHE__URL": redis.url,
    }


async def _cache_stats(client: httpx.AsyncClient) -> dict[str, Any]:
    stats: dict[str, Any] = (await client.get("/api/stats")).json()["cache"]
    return stats


async def test_redis_stopped_mid_run_serves_from_the_database_and_recovers(
    start_server: StartServer, spare_redis: RedisServerProcess, tmp_path: Path
) -> None:
    server = start_server(_redis_settings(spare_redis, tmp_path))
    async with server.async_client() as client:
        users = [await _create(client, f"cached{n}") for n in range(3)]
        for user in users:  # fill the cache, then read from it
            for _ in range(2):
                assert (await client.get(f"/api/users/{user['id']}")).status_code == 200
        assert (await _cache_stats(client))["hit_count"] >= 3

        await spare_redis.stop()

        # Every data request keeps working from the database while Redis is away.
        statuses = []
        for round_number in range(3):
            for user in users:
                statuses.append((await client.get(f"/api/users/{user['id']}")).status_code)
            created = await client.post(
                "/api/users",
                json={"username": f"during{round_number}", "email": f"d{round_number}@x.org"},
            )
            statuses.append(created.status_code)
            renamed = {"email": f"renamed{round_number}@example.com"}
            patched = await client.patch(f"/api/users/{users[0]['id']}", json=renamed)
            statuses.append(patched.status_code)
            statuses.append((await client.get("/api/users")).status_code)
        assert all(200 <= status < 300 for status in statuses), statuses
        ready = await client.get("/api/ready")
        assert ready.status_code == 200  # still serving: a load balancer keeps it
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["cache"]["status"] == "degraded"
        assert ready.json()["checks"]["database"]["status"] == "ok"
        assert (await client.get("/api/health")).status_code == 200
        assert (await _cache_stats(client))["errors"] > 0

        await spare_redis.start()  # same port, empty

        async def ready_again() -> bool:
            return (await client.get("/api/ready")).json()["status"] == "ready"

        recovered_in = await _eventually(ready_again, "readiness back to ready")
        print(f"\nRedis outage: readiness back {recovered_in:.2f} s after Redis returned")
        latest = await client.get(f"/api/users/{users[0]['id']}")
        assert latest.json()["email"] == "renamed2@example.com"
        # The cache is used again: repeated reads are hits, and Redis holds the entries.
        hits_before = (await _cache_stats(client))["hit_count"]
        for _ in range(3):
            assert (await client.get(f"/api/users/{users[1]['id']}")).status_code == 200
        assert (await _cache_stats(client))["hit_count"] >= hits_before + 2


async def test_redis_frozen_mid_run_never_serves_a_stale_user_afterwards(
    start_server: StartServer, spare_redis: RedisServerProcess, tmp_path: Path
) -> None:
    server = start_server(_redis_settings(spare_redis, tmp_path))
    async with server.async_client() as client:
        user = await _create(client, "frozen")
        assert (await client.get(f"/api/users/{user['id']}")).status_code == 200  # cached

        spare_redis.pause()  # keeps the cached copy, answers nothing
        try:
            patched = await client.patch(
                f"/api/users/{user['id']}", json={"email": "fresh@example.com"}
            )
            assert patched.status_code == 200
            during = await client.get(f"/api/users/{user['id']}")
            assert during.json()["email"] == "fresh@example.com"
        finally:
            spare_redis.resume()  # the old copy is still in Redis now

        async def ready_again() -> bool:
            return (await client.get("/api/ready")).status_code == 200

        await _eventually(ready_again, "readiness back to 200")
        after = await client.get(f"/api/users/{user['id']}")
        assert after.json()["email"] == "fresh@example.com"


# --- PostgreSQL connections killed server-side ------------------------------------------------


_OTHER_BACKENDS = (
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


async def _terminate_backends(postgres_url: str) -> set[int]:
    """Kill every connection to this test's database but our own; the pids killed."""
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch(f"SELECT pid, pg_terminate_backend(pid) {_OTHER_BACKENDS}")
    finally:
        await connection.close()
    return {row["pid"] for row in rows if row[1]}


async def _backends(postgres_url: str) -> set[int]:
    connection = await asyncpg.connect(postgres_url)
    try:
        return {row["pid"] for row in await connection.fetch(f"SELECT pid {_OTHER_BACKENDS}")}
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_killed_postgres_connections_are_replaced_and_the_next_request_succeeds(
    start_server: StartServer, postgres_url: str
) -> None:
    server = start_server({"APP_DATABASE__URL": postgres_url, "APP_DATABASE__MIN_SIZE": "2"})
    async with server.async_client() as client:
        user = await _create(client, "survivor")

        killed = await _terminate_backends(postgres_url)
        assert len(killed) >= 2

        listing = await client.get("/api/users")
        assert listing.status_code == 200, listing.text
        replacements = await _backends(postgres_url)
        assert replacements, "the server holds no connection after the kill"
        assert not replacements & killed
        assert (await client.get(f"/api/users/{user['id']}")).status_code == 200
        await _create(client, "after-kill")
        assert (await client.get("/api/ready")).status_code == 200

        # Killed again and again under concurrent traffic: a request whose connection dies
        # under it may get a 503 (retry), never a 500; the pool heals each time.
        async def traffic() -> list[int]:
            statuses = []
            for number in range(40):
                response = await client.get("/api/users", params={"offset": number % 3})
                statuses.append(response.status_code)
            return statuses

        clients = [asyncio.create_task(traffic()) for _ in range(8)]
        for _ in range(5):
            await asyncio.sleep(0.05)
            await _terminate_backends(postgres_url)
        statuses = [status for batch in await asyncio.gather(*clients) for status in batch]
        assert set(statuses) <= {200, 503}, sorted(set(statuses))
        assert statuses.count(200) > len(statuses) // 2
        after = await client.get("/api/users")
        assert after.status_code == 200
        assert after.headers["x-total-count"] == "2"


# --- SQLite file made read-only ---------------------------------------------------------------


def _chattr(flag: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # a fixed system tool on the test's own files
        [shutil.which("chattr") or "chattr", flag, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def immutable_files() -> Iterator[Callable[..., None]]:
    """Make files immutable (`chattr +i`) for the test; always made mutable again after it.

    Why chattr: tests run as root, and root writes through `chmod 444` and even through a
    file opened before a read-only remount. The immutable flag stops root too, on the
    descriptors SQLite already holds, which is what an operator's mistake or a failing
    disk does to a running server.
    """
    if os.geteuid() != 0:
        pytest.skip("making a file immutable (chattr +i) needs root")
    if shutil.which("chattr") is None:
        pytest.skip("chattr not installed (e2fsprogs): cannot make the database read-only")
    frozen: list[Path] = []

    def freeze(*paths: Path) -> None:
        result = _chattr("+i", *paths)
        if result.returncode != 0:
            pytest.skip(f"this filesystem does not support chattr +i: {result.stderr.strip()}")
        frozen.extend(paths)

    yield freeze
    _chattr("-i", *frozen)


async def test_read_only_sqlite_file_gives_a_clear_error_and_recovers(
    start_server: StartServer, tmp_path: Path, immutable_files: Callable[..., None]
) -> None:
    database = tmp_path / "fault.db"
    wal = Path(f"{database}-wal")
    server = start_server({"APP_DATABASE__URL": f"sqlite:///{database}"})
    async with server.async_client() as client:
        before = [await _create(client, f"before{n}") for n in range(3)]
        # The database is the file and its WAL; the -shm index stays writable: SQLite maps it
        # into memory, and an immutable mapping kills the process with SIGBUS.
        immutable_files(database, wal)

        refused = []
        for number in range(6):
            response = await client.post(
                "/api/users", json={"username": f"refused{number}", "email": f"r{number}@x.org"}
            )
            refused.append(response)
        # Concurrent reads make the pool open connections while the file is read-only.
        reads = await asyncio.gather(*(client.get("/api/users") for _ in range(10)))

        for response in refused:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.headers["retry-after"] == "1"
            assert response.json() == {
                "error": "database_unavailable",
                "detail": "the database cannot store changes right now (its storage is "
                "read-only, full or failing); nothing was changed, retry later",
            }
        assert all(read.status_code == 200 for read in reads)
        assert all(read.headers["x-total-count"] == "3" for read in reads)

        _chattr("-i", database, wal)

        # Every connection of the pool writes again, including those opened read-only.
        after = await asyncio.gather(*(_create(client, f"after{n}") for n in range(10)))

        listing = (await client.get("/api/users", params={"limit": 100})).json()
        assert {user["username"] for user in listing} == {
            *(user["username"] for user in before),
            *(user["username"] for user in after),
        }
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert "answered 503: DatabaseStorageError" in server.log()


async def test_connections_opened_while_read_only_are_reopened_once_writable(
    tmp_path: Path, immutable_files: Callable[..., None]
) -> None:
    database_file = tmp_path / "pool.db"
    database = DatabaseService(f"sqlite:///{database_file}", min_size=1, max_size=3)
    await database.initialize()
    try:
        await database.execute_query("CREATE TABLE notes (body TEXT)")
        immutable_files(database_file, Path(f"{database_file}-wal"))
        with pytest.raises(DatabaseStorageError):
            await database.execute_query("INSERT INTO notes VALUES ('refused')")
        # The pool grows while the file is read-only: SQLite opens the new ones read-only,
        # and they go back on the idle stack above the one opened before the fault.
        borrowed = [await database.get_connection() for _ in range(3)]
        for connection in borrowed:
            await database.release_connection(connection)
        _chattr("-i", database_file, Path(f"{database_file}-wal"))

        # The first write meets a read-only connection; it must not reach the caller.
        for number in range(5):
            await database.execute_query("INSERT INTO notes VALUES (:n)", {"n": str(number)})

        count = await database.execute_query("SELECT COUNT(*) AS n FROM notes")
        assert count["rows"] == [{"n": 5}]
        assert database.get_stats()["replaced_connections"] >= 2
    finally:
        await database.close()


# --- A background task that hangs ---------------------------------------------------------


async def test_a_hanging_task_is_cut_at_its_timeout_counted_and_spares_the_others(
    client: httpx.AsyncClient, container: Container
) -> None:
    background = await container.background()
    ticks = 0

    async def hang() -> None:
        await asyncio.Event().wait()

    async def tick() -> None:
        nonlocal ticks
        ticks += 1

    background.add_task("hangs", hang, 0.1, timeout=0.2)
    background.add_task("ticks", tick, 0.05)

    async def hung_three_times() -> bool:
        stats = (await client.get("/api/stats")).json()["background"]["task_stats"]
        return bool(stats["hangs"]["timeouts"] >= 3)

    await _eventually(hung_three_times, "three timeouts of the hanging task", timeout=10)
    stats = (await client.get("/api/stats")).json()["background"]["task_stats"]

    hung = stats["hangs"]
    assert hung["errors"] == hung["timeouts"] == hung["runs"]
    assert hung["last_error"] == "TimeoutError: timed out after 0.2 s"
    # Each run lasted its timeout, not longer: the next one was due and ran.
    assert hung["last_duration"] == pytest.approx(0.2, abs=0.15)
    assert stats["ticks"]["errors"] == 0
    assert stats["ticks"]["runs"] >= 10, "the other task was held up by the hanging one"
    assert (await client.get("/api/health")).status_code == 200
    metrics = (await client.get("/metrics")).text.splitlines()
    [counted] = [
        float(line.rpartition(" ")[2])
        for line in metrics
        if line.startswith('wirework_background_task_errors_total{task="hangs"}')
    ]
    assert counted >= hung["errors"]
