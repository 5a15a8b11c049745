"""The application's users: one repository for SQLite and PostgreSQL, and password hashing."""

from providers.users.passwords import hash_password, verify_password
from providers.users.repository import DuplicateUserError, User, UserRepository

__all__ = ["DuplicateUserError", "User", "UserRepository", "hash_password", "verify_password"]
