"""The API key settings check and password hashing."""

import pytest
from argon2 import PasswordHasher

from app.security import (
    InsecureConfigurationError,
    configured_api_key,
    needs_api_key,
    refuse_open_production,
)
from app.testing import isolated_settings
from providers.users.passwords import hash_password


@pytest.mark.parametrize("key", [None, ""])
def test_no_key_or_a_blank_one_leaves_the_api_open(key: str | None) -> None:
    assert configured_api_key(isolated_settings(None, api_key=key)) is None


def test_a_key_is_compared_as_bytes() -> None:
    assert configured_api_key(isolated_settings(None, api_key="s3cret")) == b"s3cret"


@pytest.mark.parametrize("key", [None, ""])
def test_production_refuses_to_run_open(key: str | None) -> None:
    with pytest.raises(InsecureConfigurationError, match="APP_API_KEY is not set"):
        refuse_open_production(isolated_settings(None, environment="production", api_key=key))


@pytest.mark.parametrize(
    ("environment", "key"),
    [
        ("production", "k" + "0123456789abcdef" * 2),  # with a strong token secret too
        ("development", None),
        ("development", "short"),
        ("test", None),
    ],
)
def test_other_combinations_are_allowed(environment: str, key: str | None) -> None:
    secret = {"token_secret": "t" + "fedcba9876543210" * 2}
    refuse_open_production(
        isolated_settings(None, environment=environment, api_key=key, auth=secret)
    )


@pytest.mark.real_password_costs
async def test_passwords_are_stored_as_salted_argon2id_hashes() -> None:
    first = await hash_password("correct horse")
    second = await hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert "correct horse" not in first
    assert PasswordHasher().verify(first, "correct horse")
    assert not PasswordHasher().check_needs_rehash(first)  # at the recommended costs


@pytest.mark.parametrize(
    ("path", "guarded"),
    [
        ("/api/users", True),
        ("/api/users/{user_id}", True),
        ("/api/users/7", True),
        ("/api/stats", True),
        ("/api/anything-new", True),
        ("/api/health", False),
        ("/api/ready", False),
        ("/metrics", False),
        ("/docs", False),
        ("/openapi.json", False),
    ],
)
def test_everything_under_api_is_guarded_except_the_probes(path: str, guarded: bool) -> None:
    assert needs_api_key(path) is guarded
