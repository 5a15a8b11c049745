"""Readiness pings and statistics of every service the container holds, by provider path:
for `/api/ready`, `/api/stats`, `/metrics`, the status page and `python -m app check`."""

import asyncio
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dependency_injector import containers

from containers.discovery import Service, services


async def read_stats(instance: Any) -> Mapping[str, Any] | None:
    """`instance.get_stats()`, or None when it has none or it gives no mapping; a failure
    propagates. A stand-in built with `AsyncMock()` gives a coroutine: it is awaited."""
    get_stats = getattr(instance, "get_stats", None)
    stats = get_stats() if callable(get_stats) else None
    if inspect.isawaitable(stats):
        stats = await stats
    return stats if isinstance(stats, Mapping) else None


@dataclass(frozen=True, slots=True)
class PingResult:
    """How one service answered: `error` and `detail` are None when it did. `degradable`:
    the application still serves, degraded, while this service fails."""

    service: str
    error: str | None = None
    detail: str | None = None
    timed_out: bool = False
    degradable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


async def ping_service(service: Service, timeout: float) -> tuple[Any, PingResult | None]:
    """The service's object (None if it could not be had) and how its `ping()` answered
    (None without `ping()`); a failure or a timeout is reported, never raised."""
    instance = None
    deadline = asyncio.timeout(timeout)
    result = PingResult(service.path, degradable=service.degradable)
    try:
        async with deadline:
            instance = await service.provider()
            if not hasattr(instance, "ping"):
                return instance, None
            await instance.ping()
    except Exception as error:  # a readiness probe reports failures, it does not raise them
        if isinstance(error, TimeoutError) and deadline.expired():
            detail = f"no answer within {timeout:g} s"
            return instance, replace(result, error="TimeoutError", detail=detail, timed_out=True)
        return instance, replace(result, error=type(error).__name__, detail=str(error))
    return instance, result


async def ping_services(container: containers.Container, timeout: float) -> list[PingResult]:
    """Ping every service that has `ping()` at once, each given at most `timeout` seconds."""
    pinged = await asyncio.gather(
        *(ping_service(service, timeout) for service in services(container))
    )
    return [result for _, result in pinged if result is not None]


async def read_all_stats(container: containers.Container) -> dict[str, Mapping[str, Any]]:
    """Provider path -> statistics of every service that reports them, in start order."""
    report: dict[str, Mapping[str, Any]] = {}
    for service in services(container):
        if (stats := await read_stats(await service.provider())) is not None:
            report[service.path] = stats
    return report
