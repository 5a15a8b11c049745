"""Add the sign-in columns to users: is_admin, and token_version (bumped to revoke tokens)."""

SQLITE = (
    "ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0",
)

POSTGRESQL = (
    "ALTER TABLE users ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT FALSE, "
    "ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0"
)
