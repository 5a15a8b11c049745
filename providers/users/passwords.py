"""Password hashing: only the hash is ever stored."""

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

hasher = PasswordHasher()
"""argon2id at the library's recommended costs. Public so a test suite can swap in cheaper
costs; a hash records its own costs, so verifying works whichever hasher made it."""


async def hash_password(password: str) -> str:
    """The argon2 hash to store; computed in a thread, as hashing is deliberately CPU-heavy."""
    return await asyncio.to_thread(hasher.hash, password)


@functools.cache
def _stand_in_hash(made_by: PasswordHasher) -> str:
    return made_by.hash("a password no user has")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        stored = password_hash or _stand_in_hash(hasher)
        return hasher.verify(stored, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash`. Without a hash (no such user, or one with
    no password) a stand-in hash is checked all the same, so the answer takes as long and
    reveals nothing about which e-mail addresses exist. In a thread, like hashing."""
    return await asyncio.to_thread(_verify, password_hash, password)
