"""The database: `DatabaseService` over a connection pool per driver, and schema migrations."""

from providers.database.service import DatabaseService, PoolTimeoutError, ServiceNotReadyError

__all__ = ["DatabaseService", "PoolTimeoutError", "ServiceNotReadyError"]
