"""Short-lived signed access tokens (JWT, HS256): who signed in, until when, which version."""

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from pydantic import SecretStr

ALGORITHM = "HS256"


class InvalidTokenError(ValueError):
    """The token is malformed, forged, expired or not one of ours (the API answers 401)."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says: the user's id and the token version it was issued for."""

    user_id: int
    version: int


class TokenService:
    """Issues and verifies access tokens signed with `secret`, else with a key drawn per
    service (a fixed default would let anyone forge them); `clock` (seconds since the epoch)
    stamps and checks `iat`/`exp`."""

    def __init__(
        self, secret: SecretStr | None, lifetime: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = secret.get_secret_value() if secret is not None else secrets.token_urlsafe(32)
        self.lifetime = math.ceil(lifetime)  # whole seconds, as the claims count them
        self._clock = clock

    # Started and stopped by the container like any service; signing opens nothing.
    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    def issue(self, user_id: int, version: int) -> str:
        """A token for `user_id`, valid for `lifetime` seconds from now."""
        now = int(self._clock())
        claims = {"sub": str(user_id), "ver": version, "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> TokenClaims:
        """The claims of a token this service signed that has not expired by `clock`."""
        try:
            # PyJWT reads the system clock: expiry is checked below, against `clock`.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={
                    "require": ["exp", "iat", "sub", "ver"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
            expires, user_id, version = claims["exp"], int(claims["sub"]), claims["ver"]
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidTokenError("the access token is not valid") from error
        if not isinstance(expires, int | float) or not isinstance(version, int):
            raise InvalidTokenError("the access token is not valid")
        if expires <= self._clock():
            raise InvalidTokenError("the access token has expired")
        return TokenClaims(user_id, version)
