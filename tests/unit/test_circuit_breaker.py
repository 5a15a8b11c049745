"""CircuitBreaker on a fake clock: skip after a failure, probe once, close on an answer, and
warn at most once in a while."""

import asyncio
import logging
import math

import pytest

from app.testing import FakeClock
from providers.redis_connection.circuit_breaker import UNAVAILABLE, CircuitBreaker

logger = logging.getLogger("tests.circuit_breaker")


class FakeServer:
    """A command that answers, or fails with `ConnectionError` while `down`; counts its calls."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    async def command(self, value: str = "answer") -> str:
        self.calls += 1
        if self.down:
            raise ConnectionError("refused")
        return value


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(
        "Test server",
        failures=(ConnectionError,),
        fallback="callers use their fallback",
        logger=logger,
        retry_after=1.0,
        clock=clock,
    )


async def test_calls_pass_through_while_the_server_answers(breaker: CircuitBreaker) -> None:
    server = FakeServer()

    assert await breaker.call(server.command, value="x") == "x"
    assert not breaker.is_open
    assert breaker.failed_calls == 0


async def test_a_failure_opens_it_and_calls_skip_the_server_until_retry_after(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    server = FakeServer()
    server.down = True

    assert await breaker.call(server.command) is UNAVAILABLE
    clock.advance(0.9)
    assert await breaker.call(server.command) is UNAVAILABLE

    assert server.calls == 1  # the second call never reached the server
    assert breaker.is_open
    assert breaker.failed_calls == 2


async def test_after_retry_after_one_call_probes_and_an_answer_closes_it(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    server = FakeServer()
    server.down = True
    await breaker.call(server.command)
    server.down = False
    clock.advance(1.0)

    assert await breaker.call(server.command) == "answer"

    assert not breaker.is_open
    assert server.calls == 2


async def test_while_one_call_probes_the_others_keep_skipping(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    server = FakeServer()
    server.down = True
    await breaker.call(server.command)
    clock.advance(1.0)
    reply = asyncio.Event()

    async def slow_answer() -> str:
        await reply.wait()
        return "late"

    probe = asyncio.create_task(breaker.call(slow_answer))
    await asyncio.sleep(0)

    assert await breaker.call(server.command) is UNAVAILABLE
    reply.set()
    assert await probe == "late"
    assert not breaker.is_open


async def test_a_failed_probe_keeps_it_open_for_another_retry_after(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    server = FakeServer()
    server.down = True
    await breaker.call(server.command)
    clock.advance(1.0)

    assert await breaker.call(server.command) is UNAVAILABLE  # the probe
    clock.advance(0.5)
    assert await breaker.call(server.command) is UNAVAILABLE  # skipped

    assert server.calls == 2


async def test_other_errors_propagate_and_leave_it_closed(breaker: CircuitBreaker) -> None:
    async def buggy() -> None:
        raise KeyError("a bug, not an outage")

    with pytest.raises(KeyError):
        await breaker.call(buggy)
    assert not breaker.is_open


async def test_check_reaches_the_server_even_while_open_and_raises(
    breaker: CircuitBreaker,
) -> None:
    server = FakeServer()
    server.down = True
    await breaker.call(server.command)

    with pytest.raises(ConnectionError, match="refused"):
        await breaker.check(server.command)
    server.down = False
    assert await breaker.check(server.command) == "answer"

    assert server.calls == 3
    assert not breaker.is_open  # a readiness probe's answer closes it for everyone
    assert breaker.failed_calls == 1  # checks raise instead of degrading, so they do not count


async def test_warnings_are_rate_limited_and_count_what_they_skipped(
    breaker: CircuitBreaker, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=logger.name)
    server = FakeServer()
    server.down = True

    for _ in range(40):  # an outage of 40 s, a call every second, each probing and failing
        await breaker.call(server.command)
        await breaker.call(server.command)  # skipped
        clock.advance(1.0)

    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 2  # at the start, then 30 s later
    assert warnings[0].startswith("Test server is unreachable (ConnectionError: refused)")
    assert "callers use their fallback" in warnings[0]
    assert "1 call(s) affected" in warnings[0]
    assert "60 call(s) affected" in warnings[1]

    server.down = False
    await breaker.call(server.command)
    server.down = True
    await breaker.call(server.command)  # a new outage is reported at once

    messages = [record.getMessage() for record in caplog.records[2:]]
    assert messages[0] == "Test server answers again"
    assert messages[1].startswith("Test server is unreachable")


@pytest.mark.parametrize("retry_after", [0, -1, math.nan])
def test_retry_after_must_be_positive(retry_after: float) -> None:
    with pytest.raises(ValueError, match="retry_after must be a positive"):
        CircuitBreaker(
            "Test server",
            failures=(ConnectionError,),
            fallback="-",
            logger=logger,
            retry_after=retry_after,
        )
