"""Fakes for the scheduler's tests: a lock that records its calls, and a view of live runs."""

import asyncio
from typing import Any

LOGGER = "providers.background.scheduler"


class RecordingLock:
    """A TaskLock fake that records calls and can lose every lease or be down."""

    def __init__(self, *, won: bool = True, error: Exception | None = None) -> None:
        self.won = won
        self.error = error
        self.calls: list[tuple[Any, ...]] = []

    async def initialize(self) -> None:
        self.calls.append(("initialize",))
        await asyncio.sleep(0)  # yields, as a network round trip would

    async def try_acquire(self, name: str, ttl: float) -> bool:
        self.calls.append(("try_acquire", name, ttl))
        if self.error is not None:
            raise self.error
        return self.won

    async def ping(self) -> None:
        if self.error is not None:
            raise self.error

    async def close(self) -> None:
        self.calls.append(("close",))


def scheduler_loops() -> list[str]:
    """Names of the scheduler's asyncio tasks still alive (one per run in progress)."""
    names = (task.get_name() for task in asyncio.all_tasks())
    return sorted(name for name in names if name.startswith("background:"))


class HangingTask:
    """A task function that waits until cancelled, recording that it started and was cancelled."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def __call__(self) -> None:
        self.entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
