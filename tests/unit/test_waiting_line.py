"""WaitingLine: first come first served, each waiter failed at its own deadline by one timer."""

import asyncio

import pytest

from providers.database.pools.waiting_line import WaitingLine


class LineTimeoutError(TimeoutError):
    """What this line's waiters get at their deadline."""


def _line(timeout: float, given_back: list[str] | None = None) -> WaitingLine[str]:
    returned = given_back if given_back is not None else []
    return WaitingLine[str](timeout, lambda: LineTimeoutError("no value in time"), returned.append)


async def test_values_go_to_waiters_in_arrival_order() -> None:
    line = _line(5)
    waiters = [asyncio.create_task(line.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert line.waiting == 3
    for value in ("a", "b", "c"):
        assert line.serve(value)
    assert await asyncio.gather(*waiters) == ["a", "b", "c"]
    assert line.waiting == 0
    assert not line.serve("nobody waits")


async def test_each_waiter_fails_at_its_own_deadline_not_the_first_ones() -> None:
    line = _line(0.4)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(line.wait())
    await asyncio.sleep(0.2)
    second = asyncio.create_task(line.wait())
    with pytest.raises(LineTimeoutError):
        await first
    assert loop.time() - started >= 0.399  # never before its deadline
    assert not second.done()  # its deadline is 0.2 s later than the first one's
    with pytest.raises(LineTimeoutError):
        await second
    assert loop.time() - started >= 0.599


async def test_a_served_waiter_is_not_failed_by_the_timer() -> None:
    line = _line(0.05)
    waiter = asyncio.create_task(line.wait())
    await asyncio.sleep(0)
    line.serve("in time")
    await asyncio.sleep(0.1)  # past the deadline: the timer fires and finds nothing due
    assert waiter.result() == "in time"


async def test_a_cancelled_waiter_is_skipped() -> None:
    line = _line(5)
    cancelled = asyncio.create_task(line.wait())
    served = asyncio.create_task(line.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    assert line.waiting == 1
    assert line.serve("value")
    assert await served == "value"


async def test_a_waiter_cancelled_after_being_served_gives_the_value_back() -> None:
    given_back: list[str] = []
    line = _line(5, given_back)
    waiter = asyncio.create_task(line.wait())
    await asyncio.sleep(0)
    line.serve("connection")
    waiter.cancel()  # before the waiter ran again to take it
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert given_back == ["connection"]


async def test_fail_all_wakes_every_waiter_with_the_error() -> None:
    line = _line(5)
    waiters = [asyncio.create_task(line.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    line.fail_all(RuntimeError("closed"))
    for waiter in waiters:
        with pytest.raises(RuntimeError, match="closed"):
            await waiter


async def test_an_infinite_timeout_never_fails_a_waiter() -> None:
    line = _line(float("inf"))
    waiter = asyncio.create_task(line.wait())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    line.serve("eventually")
    assert await waiter == "eventually"


def test_a_line_failed_on_one_event_loop_still_times_out_waiters_on_the_next() -> None:
    """A pool closed on one loop and opened again on another (a test's fresh loop) keeps
    its deadline: nothing of the first loop's timer is left to stand in the way."""
    line = _line(0.05)

    async def wait_then_close() -> None:
        waiter = asyncio.create_task(line.wait())
        await asyncio.sleep(0)
        line.fail_all(RuntimeError("closed"))
        with pytest.raises(RuntimeError):
            await waiter

    async def wait_for_the_deadline() -> None:
        with pytest.raises(LineTimeoutError):
            await asyncio.wait_for(line.wait(), 2)

    asyncio.run(wait_then_close())
    asyncio.run(wait_for_the_deadline())
