"""One guarded Redis client (timeouts, breaker, leases) for the cache, sign-ins and task locks."""
