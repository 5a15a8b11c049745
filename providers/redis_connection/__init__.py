"""One guarded Redis client (circuit breaker, warning throttle) shared by the cache and locks."""
