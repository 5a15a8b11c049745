"""`TokenService`: signed HS256 tokens, checked against its own clock and secret."""

from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr

from app.testing import FakeClock
from config import Settings
from providers.auth import InvalidTokenError, TokenClaims, TokenService

SECRET = SecretStr("s" + "0123456789abcdef" * 2)


def test_a_token_carries_the_user_and_its_version() -> None:
    clock = FakeClock(1_700_000_000)
    tokens = TokenService(SECRET, lifetime=900, clock=clock)
    token = tokens.issue(7, version=3)
    assert tokens.verify(token) == TokenClaims(user_id=7, version=3)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims == {"sub": "7", "ver": 3, "iat": 1_700_000_000, "exp": 1_700_000_900}


def test_a_token_expires_after_its_lifetime() -> None:
    clock = FakeClock()
    tokens = TokenService(SECRET, lifetime=0.5, clock=clock)  # rounded up: never 0 s
    token = tokens.issue(1, 0)
    clock.advance(0.9)
    assert tokens.verify(token).user_id == 1
    clock.advance(0.1)
    with pytest.raises(InvalidTokenError, match="expired"):
        tokens.verify(token)


def test_without_a_secret_each_service_draws_its_own() -> None:
    """No fixed default: a token from one process is worth nothing to another."""
    first, second = TokenService(None, 60), TokenService(None, 60)
    with pytest.raises(InvalidTokenError):
        second.verify(first.issue(1, 0))


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "1", "ver": 0, "iat": 0},  # no exp
        {"sub": "1", "iat": 0, "exp": 10**10},  # no version
        {"sub": "x", "ver": 0, "iat": 0, "exp": 10**10},
        {"sub": "1", "ver": "0", "iat": 0, "exp": 10**10},
    ],
)
def test_a_token_missing_or_mangling_a_claim_is_refused(claims: dict[str, object]) -> None:
    token = jwt.encode(claims, SECRET.get_secret_value(), algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        TokenService(SECRET, 60).verify(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not.a.token",
        jwt.encode(
            {"sub": "1", "ver": 0, "iat": 0, "exp": 10**10},
            "another secret, long enough: 32+ bytes",
        ),
        jwt.encode({"sub": "1", "ver": 0, "iat": 0, "exp": 10**10}, None, algorithm="none"),
    ],
)
def test_a_forged_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidTokenError, match="not valid"):
        TokenService(SECRET, 60).verify(token)


def test_the_secret_is_read_from_the_secrets_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like every setting: a file named after its variable, as Docker and Kubernetes mount."""
    (tmp_path / "APP_AUTH__TOKEN_SECRET").write_text(SECRET.get_secret_value())
    monkeypatch.setenv("APP_SECRETS_DIR", str(tmp_path))
    secret = Settings().auth.token_secret
    assert secret == SECRET
    assert TokenService(SECRET, 60).verify(TokenService(secret, 60).issue(1, 0)).user_id == 1
