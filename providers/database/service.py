"""`DatabaseService`: the application's connection pool, its lifecycle and its statistics."""

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

from providers.database.migrator import WIREWORK_MIGRATIONS, apply_migrations, load_migrations
from providers.database.pools.base import (
    ConnectionPool,
    PooledConnection,
    PoolLimits,
    QueryParams,
    QueryResult,
)
from providers.database.pools.sqlite import SQLitePool
from providers.database.transaction import IsolationLevel, Transaction


class DatabaseService:
    """The connection pool every repository shares: `sqlite:///…`, `postgresql://…` or, with
    no URL, a private memory database; `migrations` are its schema's packages, in order."""

    def __init__(
        self,
        url: str | None = None,
        *,
        min_size: int = 1,
        max_size: int = 5,
        acquire_timeout: float = 5.0,
        close_timeout: float = 5.0,
        connect_timeout: float = 10.0,
        query_timeout: float = 30.0,
        max_inactive_connection_lifetime: float = 300.0,
        migrate: bool = True,
        migrations: Sequence[str] = (WIREWORK_MIGRATIONS,),
        reload_mode: bool = False,
    ) -> None:
        self.reload_mode = reload_mode
        self.migrate_on_start = migrate
        self.migration_packages = tuple(migrations)
        limits = PoolLimits(
            min_size=min_size,
            max_size=max_size,
            acquire_timeout=acquire_timeout,
            close_timeout=close_timeout,
            connect_timeout=connect_timeout,
            query_timeout=query_timeout,
            max_inactive_connection_lifetime=max_inactive_connection_lifetime,
        )
        if url is not None and url.startswith(("postgresql://", "postgres://")):
            # Imported here: a SQLite start-up never needs asyncpg, which is slow to import.
            from providers.database.pools.postgres import PostgresPool  # noqa: PLC0415

            self._pool: ConnectionPool[Any] = PostgresPool(url, limits)
        else:
            self._pool = SQLitePool(url, limits)
        self._transactions = Counter[str]()  # open now, and how each one ended

    @property
    def dialect(self) -> str:
        """The SQL dialect repositories speak on this pool: sqlite or postgresql."""
        return self._pool.dialect

    @property
    def is_initialized(self) -> bool:
        return self._pool.is_open

    async def initialize(self) -> None:
        """Open the pool and migrate; a no-op in reload mode (the `--reload` supervisor)."""
        if self.reload_mode or self.is_initialized:
            return
        await self._pool.open()
        if self.migrate_on_start:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise

    async def migrate(self) -> list[str]:
        """Apply pending migrations of this database's packages, in order; safe when several
        instances do it at once. Returns what was applied ('wirework:1')."""
        migrations = [m for package in self.migration_packages for m in load_migrations(package)]
        # Counted apart: the service's figures are the application's transactions.
        async with Transaction(self._pool, Counter(), None) as tx:
            return await apply_migrations(tx, self.dialect, migrations)

    async def close(self) -> None:
        """Close every connection, waiting a bounded time for borrowed ones."""
        if self.is_initialized:
            await self._pool.close()

    async def ping(self) -> None:
        """Raise unless a connection can be borrowed and answers a query."""
        await self.execute_query("SELECT 1")

    @property
    def connection_pool(self) -> dict[str, list[PooledConnection]] | None:
        """Compatibility surface only: idle and borrowed connections, None before start-up."""
        if not self.is_initialized:
            return None
        return {"available": self._pool.available, "in_use": self._pool.in_use}

    @property
    def connection_count(self) -> int:
        """How many connections are open right now (idle plus borrowed)."""
        return len(self._pool.available) + len(self._pool.in_use)

    async def get_connection(self) -> PooledConnection:
        """Borrow a connection; pair with `release_connection`, or use the context form."""
        connection: PooledConnection = await self._pool.acquire()
        return connection

    async def release_connection(self, connection: PooledConnection) -> None:
        """Give a borrowed connection back; releasing one twice is a ValueError."""
        await self._pool.release(connection)

    @contextlib.asynccontextmanager
    async def get_connection_context(self) -> AsyncIterator[PooledConnection]:
        """Borrow a connection for the body of an `async with`, released on any exit."""
        connection = await self.get_connection()
        try:
            yield connection
        finally:
            await self._pool.release(connection)

    async def execute_query(self, sql: str, params: QueryParams = None) -> QueryResult:
        """Run one statement with bound `:name` parameters: `{"rows": [...], "affected": n}`."""
        return await self._pool.execute(sql, params)

    def transaction(self, isolation: IsolationLevel | None = None) -> Transaction:
        """`async with db.transaction() as tx:` commits on exit, rolls back on any error;
        `isolation` sets PostgreSQL's level (SQLite's transactions are serializable)."""
        return Transaction(self._pool, self._transactions, isolation)

    def get_stats(self) -> dict[str, Any]:
        """Pool figures for `/api/stats` and readiness."""
        pool, transactions = self._pool, self._transactions
        available, in_use = len(pool.available), len(pool.in_use)
        return {
            "status": "initialized" if self.is_initialized else "not_initialized",
            "backend": self.dialect,
            "total_connections": available + in_use,
            "available_connections": available,
            "in_use_connections": in_use,
            "min_size": pool.limits.min_size,
            "max_size": pool.limits.max_size,
            "waiting": pool.waiting,
            "acquired": pool.acquired,
            "peak_in_use_connections": pool.peak_in_use,
            "acquire_timeouts": pool.timeouts,
            "replaced_connections": pool.replaced,
            "open_transactions": transactions["open"],
            "committed_transactions": transactions["committed"],
            "rolled_back_transactions": transactions["rolled back"],
        }
