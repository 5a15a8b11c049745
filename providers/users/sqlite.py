"""User repository on SQLite, using the same pool as the rest of the application."""

import sqlite3

from providers.users.sql import SQLUserBackend


class SQLiteBackend(SQLUserBackend):
    """Users in SQLite: `SQLiteBackend(url)` or `SQLiteBackend(database=shared_pool)`."""

    def duplicate_field(self, error: Exception) -> str | None:
        """Name the column behind 'UNIQUE constraint failed: users.email'."""
        message = str(error)
        if not isinstance(error, sqlite3.IntegrityError) or "UNIQUE constraint" not in message:
            return None
        return message.rsplit(".", 1)[-1]
