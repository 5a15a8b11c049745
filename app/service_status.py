"""Asking the container's services how they are: readiness pings and statistics.

Shared by `/api/ready`, `/api/stats`, `/metrics` and `python -m app check`. Every call
tolerates a fake whose methods are synchronous (`MagicMock`) as well as asynchronous
(`AsyncMock`), because tests replace services with either.
"""

import asyncio
import inspect
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from containers import Container

T = TypeVar("T")

SERVICE_NAMES: Final = ("database", "cache", "background")
"""The container's long-lived services, in the order reports list them."""


async def settle(value: T | Awaitable[T]) -> T:
    """`value` itself, or what it resolves to when it is awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(frozen=True, slots=True)
class PingResult:
    """How one service answered: `error` and `detail` are None when it did."""

    service: str
    error: str | None = None
    detail: str | None = None
    timed_out: bool = False
    """True when the service gave no answer within the timeout (`detail` says so)."""

    @property
    def ok(self) -> bool:
        return self.error is None


async def _ping(container: Container, name: str, timeout: float) -> PingResult:
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            service = await getattr(container, name)()
            await settle(service.ping())
    except Exception as error:  # a readiness probe reports failures, it does not raise them
        if isinstance(error, TimeoutError) and deadline.expired():
            return PingResult(
                name, "TimeoutError", f"no answer within {timeout:g} s", timed_out=True
            )
        return PingResult(name, type(error).__name__, str(error))
    return PingResult(name)


async def ping_services(container: Container, timeout: float) -> list[PingResult]:
    """Ping every service at once, each given at most `timeout` seconds."""
    return list(await asyncio.gather(*(_ping(container, name, timeout) for name in SERVICE_NAMES)))


async def read_stats(service: Any) -> dict[str, Any]:
    """A service's `get_stats()`, whether the service (or its fake) is sync or async."""
    stats: dict[str, Any] = await settle(service.get_stats())
    return stats
