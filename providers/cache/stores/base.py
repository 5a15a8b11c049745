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
    """Counters a store can report without a round trip (`get_stats()` is synchronous)."""

    entries: int | None
    """Entries held, expired-but-not-yet-dropped included; `None` if only the server knows."""
    hits: int
    misses: int
    """`get` calls that found nothing, or only an expired entry."""
    evictions: int
    """Live entries dropped to make room (`max_size` reached); expiry is not an eviction."""
    expirations: int
    """Expired entries this store has dropped itself (on read or while making room)."""
    errors: int | None = None
    """Calls a remote store could not serve, each degraded to a miss or a skipped write;
    `None` for a store without a server."""


class CacheStore(Protocol):
    """Where `CacheService` keeps its entries. The store owns expiry (memory clock or Redis TTL).

    `ttl` is always a validated positive number of seconds; `math.inf` means "never expires".
    A store that serialises (Redis: JSON) may accept only values that survive the round trip.
    """

    backend: str
    """Short name reported in stats, e.g. ``"memory"`` or ``"redis"``."""

    async def get(self, key: str, default: Any = None) -> Any:
        """Return the live value for `key`, or `default`; counts a hit or a miss.

        A hit refreshes recency where the store keeps an LRU order.
        """
        ...

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` under `key` for `ttl` seconds, replacing any previous entry."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove `key`; return whether a live entry was there."""
        ...

    async def clear(self) -> None:
        """Remove every entry this store owns (only its namespace on a shared server)."""
        ...

    async def ping(self) -> None:
        """Return when the store can serve; raise otherwise (readiness checks call this)."""
        ...

    async def close(self) -> None:
        """Release connections or memory; the store is not used afterwards."""
        ...

    def stats(self) -> StoreStats:
        """Counters for `CacheService.get_stats()`; must not do I/O."""
        ...


@runtime_checkable
class SharedFillStore(CacheStore, Protocol):
    """A store shared by several processes that elects one of them to fill a missing key.

    `CacheService.get_or_set` runs `factory` once per key within a process; with such a
    store it also runs it (about) once across every process sharing the entries.
    """

    async def fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        """Store and return `factory()`'s value, or the one another process is filling in.

        Waiting for another process is bounded: if no value arrives in time, `factory` runs here.
        """
        ...
