"""A circuit breaker for a remote server: an outage costs one timeout, not one per request,
and a warning now and then, not one per failed call."""

import enum
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Final, ParamSpec, TypeVar

from providers.durations import positive_seconds

P = ParamSpec("P")
T = TypeVar("T")


class Unavailable(enum.Enum):
    """The type of `UNAVAILABLE` (an enum, so `is UNAVAILABLE` narrows types)."""

    UNAVAILABLE = enum.auto()


UNAVAILABLE: Final = Unavailable.UNAVAILABLE
"""What `CircuitBreaker.call` returns instead of a result when the server was skipped or failed."""


class CircuitBreaker:
    """Skips the server for `retry_after` seconds after a failure (one of `failures`; other
    errors propagate), then lets one call try again. Warnings go to `logger` at most every
    30 s, saying what callers do meanwhile (`fallback`)."""

    def __init__(
        self,
        server: str,
        *,
        failures: tuple[type[Exception], ...],
        fallback: str,
        logger: logging.Logger,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._server = server
        self._failures = failures
        self._fallback = fallback
        self._logger = logger
        self._retry_after = positive_seconds("retry_after", retry_after)
        self._clock = clock
        self._retry_at: float | None = None  # None while closed (the server answers)
        self._next_warning = -math.inf
        self._unreported = 0  # calls affected since the last warning
        self.failed_calls = 0
        """Calls that got `UNAVAILABLE`: failed, or skipped while the breaker was open."""

    @property
    def is_open(self) -> bool:
        return self._retry_at is not None

    async def call(
        self, command: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T | Unavailable:
        """Await `command(...)`, or return `UNAVAILABLE` at once while the breaker is open."""
        if self._retry_at is not None:
            now = self._clock()
            if now < self._retry_at:
                self.failed_calls += 1
                self._unreported += 1
                return UNAVAILABLE
            self._retry_at = now + self._retry_after  # half-open: this call probes, others skip
        try:
            result = await command(*args, **kwargs)
        except self._failures as error:
            self._failed(error)
            self.failed_calls += 1
            return UNAVAILABLE
        if self._retry_at is not None:
            self._answered()
        return result

    async def check(
        self, command: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await `command(...)` even while open and let its failure propagate (pings, `clear`);
        the outcome still opens or closes the breaker, so a readiness probe notices recovery."""
        try:
            result = await command(*args, **kwargs)
        except self._failures as error:
            self._failed(error)
            raise
        if self._retry_at is not None:
            self._answered()
        return result

    def _failed(self, error: Exception) -> None:
        now = self._clock()
        self._retry_at = now + self._retry_after
        self._unreported += 1
        if now >= self._next_warning:
            self._next_warning = now + 30.0  # one warning per 30 s of an outage
            self._logger.warning(
                f"{self._server} is unreachable ({type(error).__name__}: {error}); "
                f"{self._fallback}. Next attempt in {self._retry_after:.1f} s; "
                f"{self._unreported} call(s) affected since the last warning."
            )
            self._unreported = 0

    def _answered(self) -> None:
        self._retry_at = None
        self._next_warning = -math.inf  # the next outage is reported at once
        self._logger.info("%s answers again", self._server)
