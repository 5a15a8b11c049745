"""User repository on PostgreSQL: the same SQL as SQLite, on an asyncpg pool."""

import asyncpg

from providers.database import DatabaseService
from providers.users.sql import SQLUserBackend


class PostgresBackend(SQLUserBackend):
    """Users in PostgreSQL: `PostgresBackend(url)` or `PostgresBackend(database=shared_pool)`."""

    def __init__(self, url: str | None = None, *, database: DatabaseService | None = None) -> None:
        if database is None and url is None:
            raise ValueError("PostgresBackend needs a postgresql:// url or a database service")
        super().__init__(url, database=database)

    def duplicate_field(self, error: Exception) -> str | None:
        """Name the column behind the 'users_email_key' constraint."""
        if not isinstance(error, asyncpg.UniqueViolationError):
            return None
        constraint = error.constraint_name or ""
        return constraint.removeprefix("users_").removesuffix("_key") or None
