"""Cache stores: where `CacheService` keeps its entries (in memory now, Redis when scaled out)."""

from providers.stores.base import MISSING, CacheStore, LocalCacheStore, StoreStats
from providers.stores.memory import MemoryStore

__all__ = ["MISSING", "CacheStore", "LocalCacheStore", "MemoryStore", "StoreStats"]
