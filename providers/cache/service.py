"""The cache service: LRU + TTL lookups with hit/miss counting and single-flight fills."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal, TypeVar

from providers.cache.stores.base import MISSING, CacheStore, SharedFillStore
from providers.cache.stores.memory import MemoryStore
from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError

T = TypeVar("T")

NOT_INITIALIZED: Final = "Cache service not initialized"

_LEADER_GONE: Final = object()
"""A flight's result when its leader was cancelled: waiters retry and one of them leads."""


class CacheService:
    """A key-value cache in front of a `CacheStore` (a `MemoryStore` unless one is given).

    `max_size` and `clock` configure that default store and are unused when `store` is given.
    `get_stats()["hit_rate"]` is a percentage string with one decimal, e.g. ``"83.3%"``
    (``"0.0%"`` before any lookup): hits / (hits + misses) over `get` and `get_or_set` calls.
    """

    def __init__(
        self,
        max_size: int = 10_000,
        default_ttl: float = 300.0,
        reload_mode: bool = False,
        *,
        store: CacheStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._default_ttl = positive_seconds("default_ttl", default_ttl, infinite=True)
        self._reload_mode = reload_mode
        self._store: CacheStore = store if store is not None else MemoryStore(max_size, clock)
        self.cache: Mapping[str, Any] | None = (
            self._store.entries if isinstance(self._store, MemoryStore) else None
        )
        """What the memory store holds (read-only, live); `None` for a remote store."""
        self._status: Literal["not_initialized", "initialized", "closed"] = "not_initialized"
        self._flights: dict[str, asyncio.Future[Any]] = {}

    @property
    def is_initialized(self) -> bool:
        """True between `initialize()` and `close()`; always False in reload mode."""
        return self._status == "initialized"

    @property
    def hit_count(self) -> int:
        """Lookups that found a live value (counted by the store, which sees every lookup)."""
        return self._store.stats().hits

    @property
    def miss_count(self) -> int:
        """Lookups that found nothing, or only an expired entry."""
        return self._store.stats().misses

    async def initialize(self) -> None:
        """Check the store can serve; skipped in reload mode so a reloading parent stays idle."""
        if self._reload_mode:
            return
        if self._status == "closed":
            raise ServiceNotReadyError(
                "Cache service is closed; create a new one to use the cache again"
            )
        await self._store.ping()
        self._status = "initialized"

    async def close(self) -> None:
        """Close the store; later calls raise `RuntimeError`. Closing twice is harmless."""
        if self._status == "closed":
            return
        self._status = "closed"
        await self._store.close()

    async def ping(self) -> None:
        """Raise unless the service is initialized and its store answers."""
        self._check_ready()
        await self._store.ping()

    async def get(self, key: str, default: Any = None) -> Any:
        """Return the cached value, or `default` when absent or expired (counted as a miss)."""
        self._check_ready()
        return await self._store.get(key, default)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Cache `value` for `ttl` seconds (the default TTL when None)."""
        self._check_ready()
        await self._store.set(key, value, self._ttl(ttl))

    async def delete(self, key: str) -> bool:
        """Remove `key`; return whether a live entry was there."""
        self._check_ready()
        return await self._store.delete(key)

    async def clear(self) -> None:
        """Remove every entry; hit and miss counters are kept."""
        self._check_ready()
        await self._store.clear()

    def _check_ready(self) -> None:
        if self._status != "initialized":
            raise ServiceNotReadyError(NOT_INITIALIZED)

    def _ttl(self, ttl: float | None) -> float:
        """`ttl` checked (`math.inf`: never expires), or the default TTL when None."""
        return self._default_ttl if ttl is None else positive_seconds("ttl", ttl, infinite=True)

    async def get_or_set(
        self, key: str, factory: Callable[[], Awaitable[T]], ttl: float | None = None
    ) -> T:
        """Return the cached value, or await `factory()` once for all concurrent callers.

        Once per process; with a `SharedFillStore` (Redis), about once across the processes.

        Counts like `get`: a hit if the value was cached when called, else one miss, whether
        this caller runs `factory` or waits for another that does. A `factory` exception
        reaches every waiting caller and nothing is cached. If the caller running `factory` is
        cancelled, the waiters look again (counted) and the first of them runs it for the rest.
        """
        self._check_ready()
        ttl = self._ttl(ttl)
        value = await self._store.get(key, MISSING)
        while value is MISSING:
            flight = self._flights.get(key)
            if flight is None:
                return await self._fill(key, factory, ttl)
            # shield: a cancelled waiter must not cancel the flight the others wait on.
            value = await asyncio.shield(flight)
            if value is _LEADER_GONE:
                # A waiter woken before this one may have refilled it already.
                value = await self._store.get(key, MISSING)
        return value  # type: ignore[no-any-return]

    async def _fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        """Lead a flight: run `factory`, store its value and hand the outcome to the waiters."""
        flight: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            if isinstance(self._store, SharedFillStore):
                value = await self._store.fill(key, factory, ttl)
            else:
                value = await factory()
                await self._store.set(key, value, ttl)
        except Exception as exc:
            flight.set_exception(exc)
            flight.exception()  # marks it retrieved: with no waiters, only the leader re-raises
            raise
        except BaseException:  # cancelled (or the loop is going down): let a waiter take over
            flight.set_result(_LEADER_GONE)
            raise
        finally:
            del self._flights[key]
        flight.set_result(value)
        return value

    def get_stats(self) -> dict[str, Any]:
        """Counters for /api/stats; never does I/O, so it is safe to call at any time."""
        store_stats = self._store.stats()
        lookups = store_stats.hits + store_stats.misses
        stats: dict[str, Any] = {
            "status": self._status,
            "backend": self._store.backend,
            "entries": store_stats.entries,
            "hit_count": store_stats.hits,
            "miss_count": store_stats.misses,
            "hit_rate": f"{store_stats.hits / lookups if lookups else 0.0:.1%}",
            "evictions": store_stats.evictions,
            "expirations": store_stats.expirations,
            "default_ttl": self._default_ttl,
        }
        if store_stats.errors is not None:  # only a store with a server has failed calls
            stats["errors"] = store_stats.errors
        return stats


__all__ = ["NOT_INITIALIZED", "CacheService"]
