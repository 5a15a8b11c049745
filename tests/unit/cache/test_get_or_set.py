"""CacheService.get_or_set: one factory call per missing key, whatever the callers do."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.testing import FakeClock
from tests.helpers import GatedFactory


def _returning(value: Any) -> Callable[[], Awaitable[Any]]:
    async def factory() -> Any:
        return value

    return factory


async def test_get_or_set_fills_once_then_hits(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    factory.gate.set()

    assert await cache.get_or_set("k", factory) == "fresh"
    assert await cache.get_or_set("k", factory) == "fresh"
    assert await cache.get("k") == "fresh"
    assert factory.calls == 1
    assert (cache.hit_count, cache.miss_count) == (2, 1)


async def test_get_or_set_caches_falsy_values(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory(value=0)
    factory.gate.set()

    assert await cache.get_or_set("k", factory) == 0
    assert await cache.get_or_set("k", factory) == 0
    assert factory.calls == 1


async def test_get_or_set_uses_its_ttl(make_cache: Any, clock: FakeClock) -> None:
    cache = await make_cache(default_ttl=100)
    factory = GatedFactory()
    factory.gate.set()

    await cache.get_or_set("k", factory, ttl=0.5)
    clock.advance(0.5)
    await cache.get_or_set("k", factory, ttl=0.5)

    assert factory.calls == 2


async def test_concurrent_callers_share_one_factory_call(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    callers = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(50)]
    await asyncio.sleep(0)  # every caller is now in flight or waiting on it

    factory.gate.set()
    results = await asyncio.gather(*callers)

    assert results == ["fresh"] * 50
    assert factory.calls == 1
    # Documented counting: every call that found nothing cached is a miss, waiters included.
    assert (cache.hit_count, cache.miss_count) == (0, 50)


async def test_factory_error_reaches_every_caller_and_is_not_cached(make_cache: Any) -> None:
    cache = await make_cache()
    failing = GatedFactory(error=LookupError("backend down"))
    callers = [asyncio.create_task(cache.get_or_set("k", failing)) for _ in range(10)]
    await asyncio.sleep(0)

    failing.gate.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)

    assert all(isinstance(outcome, LookupError) for outcome in outcomes)
    assert failing.calls == 1
    assert await cache.get("k") is None

    working = GatedFactory()
    working.gate.set()
    assert await cache.get_or_set("k", working) == "fresh"  # the next call retries
    assert working.calls == 1


async def test_lone_caller_gets_the_factory_error_and_the_next_call_retries(
    make_cache: Any,
) -> None:
    cache = await make_cache()
    failing = GatedFactory(error=LookupError("backend down"))
    failing.gate.set()

    with pytest.raises(LookupError, match="backend down"):
        await cache.get_or_set("k", failing)
    assert await cache.get_or_set("k", _returning("fresh")) == "fresh"


@pytest.mark.parametrize("takeover_suspends", [False, True])
async def test_cancelled_leader_hands_over_to_a_waiter(
    make_cache: Any, takeover_suspends: bool
) -> None:
    cache = await make_cache()
    calls = 0

    async def factory() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.Event().wait()  # the first (leading) call hangs until cancelled
        if takeover_suspends:
            await asyncio.sleep(0)
        return "fresh"

    leader = asyncio.create_task(cache.get_or_set("k", factory))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(5)]
    await asyncio.sleep(0)
    assert calls == 1

    leader.cancel()
    results = await asyncio.wait_for(asyncio.gather(*waiters), timeout=1)

    assert results == ["fresh"] * 5
    assert calls == 2  # exactly one waiter took over
    assert leader.cancelled()
    assert await cache.get("k") == "fresh"


async def test_cancelled_lone_leader_leaves_nothing_behind(make_cache: Any) -> None:
    cache = await make_cache()
    hanging = GatedFactory()
    leader = asyncio.create_task(cache.get_or_set("k", hanging))
    await asyncio.sleep(0)

    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader

    assert await cache.get_or_set("k", _returning("next")) == "next"
    assert hanging.calls == 1


async def test_cancelled_waiter_does_not_affect_the_others(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    leader = asyncio.create_task(cache.get_or_set("k", factory))
    waiters = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(3)]
    await asyncio.sleep(0)

    waiters[0].cancel()
    await asyncio.sleep(0)
    factory.gate.set()
    results = list(await asyncio.gather(leader, waiters[1], waiters[2]))

    assert waiters[0].cancelled()
    assert results == ["fresh"] * 3
    assert factory.calls == 1


async def test_flights_are_per_key(make_cache: Any) -> None:
    cache = await make_cache()
    factory = GatedFactory()
    callers = [asyncio.create_task(cache.get_or_set(key, factory)) for key in ("a", "b", "a")]
    await asyncio.sleep(0)

    factory.gate.set()

    assert await asyncio.gather(*callers) == ["fresh"] * 3
    assert factory.calls == 2
