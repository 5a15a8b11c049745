"""`SQLiteBackend`: the user repository (`providers.users.repository`), by its public name.

One repository serves every dialect: the URL, or the shared `DatabaseService`, decides.
"""

from providers.users.repository import UserRepository as SQLiteBackend

__all__ = ["SQLiteBackend"]
