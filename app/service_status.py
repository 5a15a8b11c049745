"""Asking the container's services how they are: readiness pings and statistics.

Shared by `/api/ready`, `/api/stats`, `/metrics` and `python -m app check`. The services
are discovered from the container (`containers.discovery`), never listed here: any service
whose object has `ping()` is pinged, any with `get_stats()` is reported, under its
provider path. Every call tolerates a fake whose methods are synchronous (`MagicMock`) as
well as asynchronous (`AsyncMock`), because tests replace services with either.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from dependency_injector import containers

from containers.discovery import Service, services

T = TypeVar("T")


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
        """True when the service answered its ping."""
        return self.error is None


async def ping_service(service: Service, timeout: float) -> tuple[Any, PingResult | None]:
    """The service's object (None if it could not be had) and how its `ping()` answered.

    The result is None when the object has no `ping()`: readiness does not depend on it.
    A failure or a timeout is reported in the result, never raised.
    """
    instance = None
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            instance = await settle(service.provider())
            ping = getattr(instance, "ping", None)
            if ping is None:
                return instance, None
            await settle(ping())
    except Exception as error:  # a readiness probe reports failures, it does not raise them
        if isinstance(error, TimeoutError) and deadline.expired():
            timed_out = PingResult(
                service.path, "TimeoutError", f"no answer within {timeout:g} s", timed_out=True
            )
            return instance, timed_out
        return instance, PingResult(service.path, type(error).__name__, str(error))
    return instance, PingResult(service.path)


async def ping_services(container: containers.Container, timeout: float) -> list[PingResult]:
    """Ping every service that has `ping()` at once, each given at most `timeout` seconds."""
    pinged = await asyncio.gather(
        *(ping_service(service, timeout) for service in services(container))
    )
    return [result for _, result in pinged if result is not None]


async def read_stats(service: Any) -> dict[str, Any]:
    """A service's `get_stats()`, whether the service (or its fake) is sync or async."""
    stats: dict[str, Any] = await settle(service.get_stats())
    return stats


async def stats_of(service: Service) -> Mapping[str, Any] | None:
    """The service's `get_stats()`, or None when it has none; a failure propagates.

    A fake whose `get_stats()` gives something other than a mapping (a bare `MagicMock`
    standing in for a service) counts as having none rather than breaking the report.
    """
    instance = await settle(service.provider())
    if not callable(getattr(instance, "get_stats", None)):
        return None
    stats = await read_stats(instance)
    return stats if isinstance(stats, Mapping) else None


async def read_all_stats(container: containers.Container) -> dict[str, Mapping[str, Any]]:
    """Provider path -> statistics of every service that reports them, in start order."""
    report: dict[str, Mapping[str, Any]] = {}
    for service in services(container):
        stats = await stats_of(service)
        if stats is not None:
            report[service.path] = stats
    return report
