"""The user repository (one class for SQLite and PostgreSQL) and password hashing."""
