"""`PostgresBackend`: the same class as `SQLiteBackend`; the URL picks the database."""

from providers.backends.sqlite import SQLiteBackend as PostgresBackend

__all__ = ["PostgresBackend"]
