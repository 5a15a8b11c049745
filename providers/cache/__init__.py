"""The cache: `CacheService` over a store (in memory, or Redis when scaled out)."""

from providers.cache.service import CacheService

__all__ = ["CacheService"]
