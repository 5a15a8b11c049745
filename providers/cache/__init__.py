"""The cache: `CacheService` over a store (in memory, or Redis when scaled out)."""

from providers.cache.service import NOT_INITIALIZED, CacheService

__all__ = ["NOT_INITIALIZED", "CacheService"]
