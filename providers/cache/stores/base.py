"""The interface every cache store implements, so `CacheService` runs on memory or Redis alike."""

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING: Final = _Missing.MISSING
"""A `get` default that no cached value can equal: `None`, `0` and `""` are real values."""


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counters a store reports without a round trip (`get_stats()` is synchronous).

    `entries` counts expired entries not yet dropped (`None`: only the server knows); a miss
    found nothing or only an expired entry; an eviction dropped a live entry to make room;
    `errors` counts calls a remote store could not serve (`None` for a store without a server).
    """

    entries: int | None
    hits: int
    misses: int
    evictions: int
    expirations: int
    errors: int | None = None


class CacheStore(Protocol):
    """Where `CacheService` keeps its entries. The store owns expiry (memory clock or Redis TTL).

    `ttl` is always a validated positive number of seconds; `math.inf` means "never expires".
    A store that serialises (Redis: JSON) may accept only values that survive the round trip.
    """

    backend: str
    """Short name reported in stats, e.g. ``"memory"`` or ``"redis"``."""

    async def get(self, key: str, default: Any = None) -> Any:
        """The live value for `key`, or `default`; counts a hit or a miss, a hit refreshes LRU."""

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` under `key` for `ttl` seconds, replacing any previous entry."""

    async def delete(self, key: str) -> bool:
        """Remove `key`; return whether a live entry was there."""
        ...

    async def clear(self) -> None:
        """Remove every entry this store owns (only its namespace on a shared server)."""

    async def ping(self) -> None:
        """Return when the store can serve; raise otherwise (readiness checks call this)."""

    async def close(self) -> None:
        """Release connections or memory; the store is not used afterwards."""

    def stats(self) -> StoreStats:
        """Counters for `CacheService.get_stats()`; must not do I/O."""
        ...


@runtime_checkable
class SharedFillStore(CacheStore, Protocol):
    """A store shared by several processes that elects one of them to fill a missing key,
    so `get_or_set` runs `factory` (about) once across every process, not once per process."""

    async def fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        """Store and return `factory()`'s value, or the one another process fills in (waiting
        a bounded time: if no value arrives, `factory` runs here)."""
        ...
