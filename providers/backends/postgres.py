"""Public import path of `PostgresBackend` (it lives in `providers.users.postgres`)."""

from providers.users.postgres import PostgresBackend

__all__ = ["PostgresBackend"]
