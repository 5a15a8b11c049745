"""DatabaseService on a real PostgreSQL server: same interface, asyncpg underneath."""

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from providers.database import DatabaseService, PoolTimeoutError
from providers.database.pools.postgres import SILENCE_BACKOFF
from providers.errors import DatabaseUnavailableError, ServiceNotReadyError, ServiceStartError

pytestmark = pytest.mark.postgres


@pytest.fixture
async def postgres_service(postgres_url: str) -> AsyncIterator[DatabaseService]:
    service = DatabaseService(postgres_url, min_size=1, max_size=3, acquire_timeout=2)
    await service.initialize()
    yield service
    await service.close()


async def test_service_cases_hold_on_postgres(postgres_service: DatabaseService) -> None:
    assert postgres_service.is_initialized
    assert postgres_service.dialect == "postgresql"
    assert postgres_service.connection_count > 0
    async with postgres_service.get_connection_context() as connection:
        assert all(key in connection for key in ("id", "created_at", "last_used", "query_count"))
    pool = postgres_service.connection_pool
    assert pool is not None
    assert connection in pool["available"]
    result = await postgres_service.execute_query("SELECT * FROM users")
    assert result == {"rows": [], "affected": 0}
    assert postgres_service.get_stats()["status"] == "initialized"


async def test_named_parameters_are_bound_and_rows_counted(
    postgres_service: DatabaseService,
) -> None:
    hostile = "x'); DROP TABLE users; --"
    assert (await postgres_service.execute_query("SELECT :v::text AS v", {"v": hostile}))[
        "rows"
    ] == [{"v": hostile}]
    insert = "INSERT INTO users (username, email, created_at, updated_at) VALUES (:u, :e, 0, 0)"
    assert (await postgres_service.execute_query(insert, {"u": "a", "e": "a@x.org"}))[
        "affected"
    ] == 1
    returning = await postgres_service.execute_query(
        "INSERT INTO users (username, email, created_at, updated_at)"
        " VALUES (:u, :e, 0, 0) RETURNING username",
        {"u": "b", "e": "b@x.org"},
    )
    assert returning == {"rows": [{"username": "b"}], "affected": 1}
    updated = await postgres_service.execute_query("UPDATE users SET is_active = :a", {"a": False})
    assert updated == {"rows": [], "affected": 2}


async def test_acquire_timeout_names_pool_size_and_timeout(postgres_url: str) -> None:
    service = DatabaseService(postgres_url, min_size=1, max_size=1, acquire_timeout=0.1)
    await service.initialize()
    try:
        held = await service.get_connection()
        with pytest.raises(PoolTimeoutError, match=r"0\.1s.*all 1 connections"):
            await service.get_connection()
        await service.release_connection(held)
        assert service.get_stats()["acquire_timeouts"] == 1
    finally:
        await service.close()


async def test_acquire_timeout_does_not_bound_connecting(postgres_url: str) -> None:
    # Connecting takes milliseconds; a fail-fast acquire timeout must not fail start-up.
    service = DatabaseService(postgres_url, acquire_timeout=0.001)
    await service.initialize()
    try:
        assert service.is_initialized
        assert (await service.execute_query("SELECT 1 AS one"))["rows"] == [{"one": 1}]
    finally:
        await service.close()


async def test_connect_timeout_is_its_own_setting(postgres_url: str) -> None:
    service = DatabaseService(postgres_url, connect_timeout=0.000_001)
    with pytest.raises(ServiceStartError, match=r"cannot connect to PostgreSQL.*TimeoutError"):
        await service.initialize()


async def test_connection_opened_on_demand_names_the_connect_timeout(postgres_url: str) -> None:
    service = DatabaseService(
        postgres_url, min_size=0, max_size=1, connect_timeout=0.000_001, migrate=False
    )
    await service.initialize()
    try:
        with pytest.raises(DatabaseUnavailableError, match=r"new connection within 1e-06s"):
            await service.execute_query("SELECT 1")
        # The failed borrower gave its place back; the server is not asked again at once.
        with pytest.raises(DatabaseUnavailableError, match=r"not asked again for 1s"):
            await service.execute_query("SELECT 1")
        assert service.get_stats()["in_use_connections"] == 0
    finally:
        await service.close()


async def test_a_statement_the_server_does_not_answer_in_time_says_so(postgres_url: str) -> None:
    """A statement stuck on the server (here, asleep) ends at the query timeout with a
    message about the server, not about a busy pool; its link is replaced."""
    service = DatabaseService(postgres_url, max_size=1, query_timeout=0.2, migrate=False)
    await service.initialize()
    try:
        with pytest.raises(
            DatabaseUnavailableError, match=r"did not answer a statement within 0\.2s"
        ):
            await service.execute_query("SELECT pg_sleep(30)")
        assert (await service.execute_query("SELECT 1 AS one"))["rows"] == [{"one": 1}]
        assert service.get_stats()["replaced_connections"] == 1
    finally:
        await service.close()


async def test_double_release_raises(postgres_service: DatabaseService) -> None:
    connection = await postgres_service.get_connection()
    await postgres_service.release_connection(connection)
    with pytest.raises(ValueError, match="released twice"):
        await postgres_service.release_connection(connection)
    assert (await postgres_service.execute_query("SELECT 1 AS one"))["rows"] == [{"one": 1}]


async def test_connection_used_after_release_is_refused(
    postgres_service: DatabaseService,
) -> None:
    connection = await postgres_service.get_connection()
    await postgres_service.release_connection(connection)
    with pytest.raises(ConnectionError, match="released back to the pool"):
        await connection.execute("SELECT 1")
    assert (await postgres_service.execute_query("SELECT 1 AS one"))["rows"] == [{"one": 1}]


async def test_borrower_waiting_when_the_pool_closes_is_told_so(postgres_url: str) -> None:
    service = DatabaseService(
        postgres_url, min_size=1, max_size=1, acquire_timeout=30, close_timeout=5
    )
    await service.initialize()
    held = await service.get_connection()
    waiting = asyncio.create_task(service.get_connection())
    await asyncio.sleep(0.05)
    assert service.get_stats()["waiting"] == 1
    closing = asyncio.create_task(service.close())
    with pytest.raises(ServiceNotReadyError, match="closed"):
        await asyncio.wait_for(waiting, 2)  # not after the 30 s acquire timeout
    await service.release_connection(held)  # close() is waiting for it: released, not lost
    await closing
    assert service.get_stats()["replaced_connections"] == 0


@pytest.mark.parametrize("noticed", [False, True], ids=["before-noticed", "after-noticed"])
async def test_connection_killed_server_side_is_replaced(
    postgres_service: DatabaseService, postgres_server_url: str, noticed: bool
) -> None:
    connection = await postgres_service.get_connection()
    pid = connection.raw.get_server_pid()  # type: ignore[attr-defined]
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    if noticed:  # asyncpg sees the link drop and takes the connection back first
        await asyncio.sleep(0.3)
    with pytest.raises(ConnectionError, match="was lost"):
        await connection.execute("SELECT 1")
    await postgres_service.release_connection(connection)
    assert postgres_service.get_stats()["replaced_connections"] == 1
    for _ in range(5):  # every connection the pool hands out now works
        assert (await postgres_service.execute_query("SELECT 1 AS ok"))["rows"] == [{"ok": 1}]


async def test_release_whose_reset_overruns_is_cut_off_at_close_timeout(postgres_url: str) -> None:
    """asyncpg resets a connection on release; a server that stops answering then must not
    hang the release (and the request behind it): the link is cut, a new one replaces it."""
    service = DatabaseService(postgres_url, min_size=1, max_size=1, close_timeout=0.3)
    await service.initialize()
    try:
        connection = await service.get_connection()
        pid = connection.raw.get_server_pid()  # type: ignore[attr-defined]
        try:
            os.kill(pid, signal.SIGSTOP)  # the backend stops answering, its link stays open
        except (ProcessLookupError, PermissionError) as error:
            pytest.skip(f"cannot pause the PostgreSQL backend from here ({error})")
        try:
            started = time.monotonic()
            await asyncio.wait_for(service.release_connection(connection), 10)
            released_after = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        assert released_after < 5, f"release took {released_after:.1f} s"
        assert service.get_stats()["replaced_connections"] == 1
        with pytest.raises(DatabaseUnavailableError, match="did not answer a moment ago"):
            await service.execute_query("SELECT 1 AS ok")  # no borrower waits on it meanwhile
        await asyncio.sleep(SILENCE_BACKOFF)
        assert (await service.execute_query("SELECT 1 AS ok"))["rows"] == [{"ok": 1}]
    finally:
        await service.close()


async def test_cancelled_waiter_leaks_nothing(postgres_url: str) -> None:
    service = DatabaseService(postgres_url, min_size=1, max_size=1, acquire_timeout=5)
    await service.initialize()
    try:
        held = await service.get_connection()
        waiter = asyncio.create_task(service.get_connection())
        await asyncio.sleep(0.05)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await service.release_connection(held)
        async with asyncio.timeout(2), service.get_connection_context():
            pass
        assert service.get_stats()["in_use_connections"] == 0
    finally:
        await service.close()


async def test_close_is_bounded_with_a_connection_checked_out(postgres_url: str) -> None:
    service = DatabaseService(postgres_url, close_timeout=0.2)
    await service.initialize()
    await service.get_connection()
    started = time.monotonic()
    await service.close()
    assert time.monotonic() - started < 3.0
    assert not service.is_initialized


async def test_unreachable_server_is_a_clear_error_without_the_password() -> None:
    service = DatabaseService("postgresql://app:hunter2@127.0.0.1:1/nowhere", acquire_timeout=1)
    with pytest.raises(
        ServiceStartError, match=r"cannot connect to PostgreSQL at .*:\*\*\*@"
    ) as caught:
        await service.initialize()
    assert "hunter2" not in str(caught.value)
    assert not service.is_initialized
