"""The one interface `CacheService` uses for every store, so it runs on memory or Redis alike."""

from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypeVar

T = TypeVar("T")

MISSING: Final = object()
"""What a store's `get` returns for no live entry: `None`, `0` and `""` are cached values."""


class CacheStore(Protocol):
    """Where `CacheService` keeps entries; the store owns expiry. A `ttl` is a validated
    positive number of seconds (`math.inf`: never expires)."""

    backend: str
    """Short name reported in stats, e.g. ``"memory"`` or ``"redis"``."""

    async def get(self, key: str) -> Any:
        """The live value for `key`, or `MISSING`."""

    async def set(self, key: str, value: Any, ttl: float) -> None: ...

    async def fill(self, key: str, factory: Callable[[], Awaitable[T]], ttl: float) -> T:
        """Store and return `factory()`'s value; a shared store lets one process of many run it."""
        value = await factory()
        await self.set(key, value, ttl)
        return value

    async def delete(self, key: str) -> bool:
        """Remove `key`; return whether a live entry was there."""

    async def clear(self) -> None:
        """Remove every entry this store owns (only its namespace on a shared server)."""

    async def ping(self) -> None: ...

    async def close(self) -> None:
        """Release connections or memory; the store is not used afterwards."""

    def stats(self) -> dict[str, int | None]:
        """`entries` (None: only the server knows), `evictions`, `expirations`, and a remote
        store's failed calls (`errors`); no I/O."""
