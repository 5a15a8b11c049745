"""`PostgresBackend`: the user repository (`providers.users.repository`), by its public name.

One repository serves every dialect: the URL, or the shared `DatabaseService`, decides.
"""

from providers.users.repository import UserRepository as PostgresBackend

__all__ = ["PostgresBackend"]
