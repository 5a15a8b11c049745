"""Deadlines: one timer for many entries, each still falling due at its own time."""

import asyncio

from providers.database.pools.deadlines import Deadlines


async def test_each_entry_falls_due_at_its_own_deadline_not_the_first_ones() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    due: dict[str, float] = {}
    deadlines = Deadlines[str](0.2, lambda entry: due.setdefault(entry, loop.time() - started))
    deadlines.add("first")
    await asyncio.sleep(0.1)
    deadlines.add("second")
    deadlines.add("discarded")
    deadlines.discard("discarded")
    await asyncio.sleep(0.3)
    assert list(due) == ["first", "second"]
    # Never before its own deadline: the second is not served with the first.
    assert due["first"] >= 0.199
    assert due["second"] >= 0.299


def test_cleared_on_one_event_loop_still_serves_the_next() -> None:
    """A pool closed on one loop and opened again on another keeps its deadlines."""
    due: list[str] = []
    deadlines = Deadlines[str](0.05, due.append)

    async def add_then_clear() -> None:
        deadlines.add("old")
        deadlines.clear()

    async def add_then_wait() -> None:
        deadlines.add("new")
        await asyncio.sleep(0.1)

    asyncio.run(add_then_clear())
    asyncio.run(add_then_wait())
    assert due == ["new"]
