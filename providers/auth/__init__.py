"""Signing in: access tokens, and limits on failed sign-ins."""

from providers.auth.attempts import LoginLimiter, MemoryCounts, create_login_limiter
from providers.auth.tokens import InvalidTokenError, TokenClaims, TokenService

__all__ = [
    "InvalidTokenError",
    "LoginLimiter",
    "MemoryCounts",
    "TokenClaims",
    "TokenService",
    "create_login_limiter",
]
