"""The tables Wirework's own repositories need, created when the pool opens."""

from collections.abc import Awaitable, Callable
from typing import Any

_USERS = {
    "sqlite": """
        CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL UNIQUE,
            email TEXT NOT NULL UNIQUE,
            password_hash TEXT,
            is_active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
    """,
}


async def apply_schema(execute: Callable[[str], Awaitable[Any]], dialect: str) -> None:
    """Create missing tables; safe to run on every start-up."""
    await execute(_USERS[dialect])
