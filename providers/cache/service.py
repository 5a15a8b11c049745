"""The cache service: LRU + TTL lookups with hit/miss counting and single-flight fills."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal, TypeVar

from providers.cache.stores.base import MISSING, CacheStore
from providers.cache.stores.memory import MemoryStore
from providers.durations import positive_seconds
from providers.errors import ServiceNotReadyError

T = TypeVar("T")

_LEADER_GONE: Final = object()
"""A flight's result when its leader was cancelled: waiters retry and one of them leads."""


class CacheService:
    """A key-value cache in front of a `CacheStore` (a `MemoryStore` of `max_size` on `clock`
    unless `store` is given). `hit_count` and `miss_count` count `get` and `get_or_set` calls;
    an expired entry is a miss."""

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
        self._store = store if store is not None else MemoryStore(max_size, clock)
        self.cache: Mapping[str, Any] | None = (
            self._store.entries if isinstance(self._store, MemoryStore) else None
        )
        """The memory store's entries (read-only, live), for `len()`; `None` on a remote store."""
        self._status: Literal["not_initialized", "initialized", "closed"] = "not_initialized"
        self._flights: dict[str, asyncio.Future[Any]] = {}
        self.hit_count = 0
        self.miss_count = 0

    @property
    def is_initialized(self) -> bool:
        return self._status == "initialized"

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
        if self._status != "closed":
            self._status = "closed"
            await self._store.close()

    async def ping(self) -> None:
        await self._ready().ping()

    async def get(self, key: str, default: Any = None) -> Any:
        """The cached value, or `default` when absent or expired."""
        value = await self._ready().get(key)
        if value is MISSING:
            self.miss_count += 1
            return default
        self.hit_count += 1
        return value

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Cache `value` for `ttl` seconds (the default TTL when None, `math.inf`: forever)."""
        await self._ready().set(key, value, self._ttl(ttl))

    async def delete(self, key: str) -> bool:
        """Remove `key`; return whether a live entry was there."""
        return await self._ready().delete(key)

    async def clear(self) -> None:
        """Remove every entry; hit and miss counters are kept."""
        await self._ready().clear()

    async def get_or_set(
        self, key: str, factory: Callable[[], Awaitable[T]], ttl: float | None = None
    ) -> T:
        """The cached value, or `factory()`'s, awaited once for all concurrent callers (about
        once across processes on a shared store); its exception reaches them all. If the caller
        running it is cancelled, the waiters look again and one of them runs it."""
        ttl = self._ttl(ttl)
        value = await self.get(key, MISSING)
        while value is MISSING:
            flight = self._flights.get(key)
            if flight is None:
                return await self._fill(key, factory, ttl)
            # shield: a cancelled waiter must not cancel the flight the others wait on.
            value = await asyncio.shield(flight)
            if value is _LEADER_GONE:
                value = await self.get(key, MISSING)
        return value  # type: ignore[no-any-return]

    def get_stats(self) -> dict[str, Any]:
        """Counters for /api/stats, without I/O; `hit_rate` is e.g. ``"83.3%"``."""
        lookups = self.hit_count + self.miss_count
        return {
            "status": self._status,
            "backend": self._store.backend,
            "hit_count": self.hit_count,
            "miss_count": self.miss_count,
            "hit_rate": f"{self.hit_count / lookups if lookups else 0.0:.1%}",
            "default_ttl": self._default_ttl,
            **self._store.stats(),
        }

    def _ready(self) -> CacheStore:
        if self._status != "initialized":
            raise ServiceNotReadyError("Cache service not initialized")
        return self._store

    def _ttl(self, ttl: float | None) -> float:
        return self._default_ttl if ttl is None else positive_seconds("ttl", ttl, infinite=True)

    async def _fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        flight: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            value = await self._store.fill(key, factory, ttl)
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
