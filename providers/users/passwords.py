"""Password hashing for the user repository: only the hash is ever stored."""

import asyncio

from argon2 import PasswordHasher

_password_hasher = PasswordHasher()  # argon2id with the library's current recommended costs


async def hash_password(password: str) -> str:
    """The argon2 hash to store; computed in a thread, as hashing is deliberately CPU-heavy."""
    return await asyncio.to_thread(_password_hasher.hash, password)
