"""Versioned schema migrations for SQLite and PostgreSQL, applied once each, in order.

Each migration has one statement list per dialect. The runner records what it applied in
`schema_migrations`, inside one transaction under a lock, so several instances starting
at the same moment apply each migration exactly once: SQLite takes its write lock with
`BEGIN IMMEDIATE`; PostgreSQL takes a transaction-level advisory lock.
"""

import contextlib
import logging
import time
from dataclasses import dataclass

from providers.database.pools.base import PooledConnection

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x57495245  # "WIRE": the key every Wirework instance locks on


@dataclass(frozen=True)
class Migration:
    """One schema change, written once per dialect."""

    version: int
    name: str
    statements: dict[str, tuple[str, ...]]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "create users",
        {
            "sqlite": (
                """CREATE TABLE IF NOT EXISTS users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT,
                    is_active INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                )""",
            ),
            "postgresql": (
                """CREATE TABLE IF NOT EXISTS users (
                    id BIGSERIAL PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT,
                    is_active BOOLEAN NOT NULL DEFAULT TRUE,
                    created_at DOUBLE PRECISION NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL
                )""",
            ),
        },
    ),
)

_BEGIN = {"sqlite": "BEGIN IMMEDIATE", "postgresql": "BEGIN"}
_CREATE_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""


async def apply_migrations(
    connection: PooledConnection,
    dialect: str,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    await connection.execute(_BEGIN[dialect])
    try:
        if dialect == "postgresql":
            await connection.execute(
                "SELECT pg_advisory_xact_lock(:key)", {"key": ADVISORY_LOCK_KEY}
            )
        await connection.execute(_CREATE_LEDGER)
        rows = (await connection.execute("SELECT version FROM schema_migrations"))["rows"]
        done = {row["version"] for row in rows}
        applied = []
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in done:
                continue
            for statement in migration.statements[dialect]:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (:version, :name, :applied_at)",
                {"version": migration.version, "name": migration.name, "applied_at": time.time()},
            )
            applied.append(migration.version)
        await connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):  # a broken connection must not hide the cause
            await connection.execute("ROLLBACK")
        raise
    if applied:
        logger.info("applied schema migrations %s", applied)
    return applied
