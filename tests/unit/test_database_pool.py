"""The pool's promises: a bounded wait, first come first served, nothing lost to cancellation,
broken connections replaced, and a bounded close."""

import asyncio
import time

import pytest

from providers.database import DatabaseService, PoolTimeoutError


async def test_acquire_times_out_naming_pool_size_and_timeout() -> None:
    service = DatabaseService(max_size=1, acquire_timeout=0.05)
    await service.initialize()
    try:
        held = await service.get_connection()
        with pytest.raises(TimeoutError, match=r"0\.05s.*all 1 connections") as caught:
            await service.get_connection()
        assert isinstance(caught.value, PoolTimeoutError)
        assert service.get_stats()["acquire_timeouts"] == 1
        await service.release_connection(held)
        async with service.get_connection_context():
            pass  # the pool still works after a timeout
    finally:
        await service.close()


async def test_waiters_are_served_first_come_first_served() -> None:
    service = DatabaseService(max_size=1)
    await service.initialize()
    served: list[int] = []

    async def borrow(number: int) -> None:
        async with service.get_connection_context():
            served.append(number)
            await asyncio.sleep(0)

    try:
        held = await service.get_connection()
        waiters = []
        for number in range(5):
            waiters.append(asyncio.create_task(borrow(number)))
            await asyncio.sleep(0)  # each one gets in line before the next
        await service.release_connection(held)
        # A newcomer arriving after the release must queue behind the five.
        waiters.append(asyncio.create_task(borrow(5)))
        await asyncio.gather(*waiters)
        assert served == [0, 1, 2, 3, 4, 5]
    finally:
        await service.close()


async def test_broken_connection_is_replaced_not_returned(
    database_service: DatabaseService,
) -> None:
    connection = await database_service.get_connection()
    await connection.raw.close()  # the link dies while checked out
    with pytest.raises(ConnectionError, match="closed"):
        await connection.execute("SELECT 1")
    await database_service.release_connection(connection)

    assert database_service.get_stats()["replaced_connections"] == 1
    async with database_service.get_connection_context() as replacement:
        assert replacement is not connection
        assert (await replacement.execute("SELECT 1 AS ok"))["rows"] == [{"ok": 1}]


async def test_double_release_raises_and_corrupts_nothing(
    database_service: DatabaseService,
) -> None:
    connection = await database_service.get_connection()
    await database_service.release_connection(connection)
    available = database_service.get_stats()["available_connections"]
    with pytest.raises(ValueError, match="released twice"):
        await database_service.release_connection(connection)
    assert database_service.get_stats()["available_connections"] == available
    first, second = await database_service.get_connection(), await database_service.get_connection()
    assert first is not second  # the same connection is never handed out twice
    await database_service.release_connection(first)
    await database_service.release_connection(second)


async def test_task_cancelled_while_waiting_leaks_nothing() -> None:
    service = DatabaseService(max_size=1, acquire_timeout=5)
    await service.initialize()
    try:
        held = await service.get_connection()
        waiter = asyncio.create_task(service.get_connection())
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await service.release_connection(held)
        assert service.get_stats()["in_use_connections"] == 0
        assert service.get_stats()["waiting"] == 0
        async with asyncio.timeout(1):
            async with service.get_connection_context():
                pass
    finally:
        await service.close()


async def test_cancelled_just_after_hand_over_passes_the_connection_on() -> None:
    service = DatabaseService(max_size=1, acquire_timeout=5)
    await service.initialize()
    try:
        held = await service.get_connection()
        waiter = asyncio.create_task(service.get_connection())
        await asyncio.sleep(0.01)
        await service.release_connection(held)  # hands the connection to the waiter ...
        waiter.cancel()  # ... which is cancelled before it can run
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert service.get_stats()["in_use_connections"] == 0
        async with asyncio.timeout(1):
            async with service.get_connection_context():
                pass
    finally:
        await service.close()


async def test_task_cancelled_while_holding_returns_the_connection(
    database_service: DatabaseService,
) -> None:
    entered = asyncio.Event()

    async def hold_forever() -> None:
        async with database_service.get_connection_context():
            entered.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(hold_forever())
    await entered.wait()
    assert database_service.get_stats()["in_use_connections"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert database_service.get_stats()["in_use_connections"] == 0


async def test_open_transaction_is_rolled_back_on_release(
    database_service: DatabaseService,
) -> None:
    async with database_service.get_connection_context() as connection:
        await connection.execute("BEGIN IMMEDIATE")
        await connection.execute(
            "INSERT INTO users (username, email, created_at, updated_at)"
            " VALUES ('ghost', 'g@x.org', 0, 0)"
        )
    count = await database_service.execute_query("SELECT COUNT(*) AS n FROM users")
    assert count["rows"] == [{"n": 0}]


async def test_close_waits_for_a_connection_returned_in_time() -> None:
    service = DatabaseService(close_timeout=5)
    await service.initialize()
    held = await service.get_connection()

    async def give_back_soon() -> None:
        await asyncio.sleep(0.05)
        await service.release_connection(held)

    returning = asyncio.create_task(give_back_soon())
    started = time.monotonic()
    await service.close()
    await returning
    assert time.monotonic() - started < 2.0  # woken by the release, not by the timeout
    assert not service.is_initialized


async def test_close_is_bounded_with_connections_checked_out() -> None:
    service = DatabaseService(close_timeout=0.1)
    await service.initialize()
    held = await service.get_connection()
    started = time.monotonic()
    await service.close()
    assert time.monotonic() - started < 2.0
    assert not service.is_initialized
    assert service.connection_count == 0
    await service.release_connection(held)  # a late release after close is harmless


async def test_close_wakes_waiters_with_a_clear_error() -> None:
    service = DatabaseService(max_size=1, close_timeout=0.05)
    await service.initialize()
    await service.get_connection()
    waiter = asyncio.create_task(service.get_connection())
    await asyncio.sleep(0.01)
    await service.close()
    with pytest.raises(RuntimeError, match="closed"):
        await waiter


async def test_each_waiter_times_out_at_its_own_deadline() -> None:
    """One timer serves the line, yet a later waiter is not failed with the first one."""
    service = DatabaseService(max_size=1, acquire_timeout=0.2)
    await service.initialize()
    loop = asyncio.get_running_loop()

    async def wait_for_connection() -> float:
        started = loop.time()
        with pytest.raises(PoolTimeoutError):
            await service.get_connection()
        return loop.time() - started

    held = await service.get_connection()
    try:
        first = asyncio.create_task(wait_for_connection())
        await asyncio.sleep(0.1)
        second = asyncio.create_task(wait_for_connection())
        assert min(await first, await second) >= 0.199
        assert service.get_stats()["acquire_timeouts"] == 2
    finally:
        await service.release_connection(held)  # else closing waits for it to come back
        await service.close()


def test_a_pool_reopened_on_another_event_loop_works_there() -> None:
    """Closed on one event loop and opened again on another, as each test client runs its own."""
    service = DatabaseService(max_size=2, acquire_timeout=0.05, close_timeout=0.05)
    insert = "INSERT INTO users (username, email, created_at, updated_at) VALUES (:u, :u, 0, 0)"

    async def use_every_part(run: int) -> None:
        await service.initialize()
        holder = await service.get_connection()
        await holder.execute("BEGIN IMMEDIATE")
        writer = asyncio.create_task(service.execute_query(insert, {"u": str(run)}))
        await asyncio.sleep(0.01)  # the writer waits for the write lock
        await holder.execute("COMMIT")
        await writer
        await service.release_connection(holder)
        held = [await service.get_connection() for _ in range(2)]
        with pytest.raises(PoolTimeoutError):
            await service.get_connection()
        await service.close()  # waits for the borrowed connections, then closes them
        for connection in held:
            await service.release_connection(connection)

    asyncio.run(use_every_part(1))
    asyncio.run(use_every_part(2))
