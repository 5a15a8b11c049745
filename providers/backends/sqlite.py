"""Public import path of `SQLiteBackend` (it lives in `providers.users.sqlite`)."""

from providers.users.sqlite import SQLiteBackend

__all__ = ["SQLiteBackend"]
