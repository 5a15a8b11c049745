"""Request and response schemas: what they accept, what they refuse, what they never show."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from app.schemas import USERNAME_PATTERN, UserCreate, UserPublic, UserUpdate
from providers.users import User


@pytest.mark.parametrize("username", ["ada", "Ada_Lovelace", "a.b-c_9", "x" * 64, "123"])
def test_valid_usernames(username: str) -> None:
    assert UserCreate(username=username, email="a@example.com").username == username


@pytest.mark.parametrize(
    "username",
    ["ab", "x" * 65, "has space", "semi;colon", "émile", "slash/", "", "new\nline", "ada\n"],
)
def test_invalid_usernames(username: str) -> None:
    with pytest.raises(ValidationError) as raised:
        UserCreate(username=username, email="a@example.com")
    assert raised.value.errors()[0]["loc"] == ("username",)


def test_the_documented_pattern_is_the_one_enforced() -> None:
    schema = UserCreate.model_json_schema()["properties"]["username"]
    assert schema["pattern"] == USERNAME_PATTERN
    assert (schema["minLength"], schema["maxLength"]) == (3, 64)


@pytest.mark.parametrize("email", ["nope", "a@", "@example.com", "a b@example.com"])
def test_invalid_emails(email: str) -> None:
    with pytest.raises(ValidationError):
        UserCreate(username="ada", email=email)


@pytest.mark.parametrize(
    ("password", "ok"), [("x" * 7, False), ("x" * 8, True), ("x" * 128, True), ("x" * 129, False)]
)
def test_password_length_bounds(password: str, ok: bool) -> None:
    if ok:
        assert UserCreate(username="ada", email="a@example.com", password=password)
    else:
        with pytest.raises(ValidationError):
            UserCreate(username="ada", email="a@example.com", password=password)


def test_password_is_optional_and_never_in_repr() -> None:
    assert UserCreate(username="ada", email="a@example.com").password is None
    body = UserCreate(username="ada", email="a@example.com", password="hunter22")
    assert "hunter22" not in repr(body)
    assert "hunter22" not in str(UserUpdate(password="hunter22"))


@pytest.mark.parametrize("model", [UserCreate, UserUpdate])
def test_unknown_fields_are_refused(model: Any) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model(username="ada", email="a@example.com", password_hash="$argon2id$forged")


def test_update_keeps_track_of_what_was_sent() -> None:
    update = UserUpdate(email="new@example.com")
    assert update.model_dump(exclude_unset=True) == {"email": "new@example.com"}
    assert UserUpdate().model_dump(exclude_unset=True) == {}


@pytest.mark.parametrize("field", ["username", "email", "password", "is_active"])
def test_update_refuses_explicit_null(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} may be omitted but not null"):
        UserUpdate(**{field: None})


def test_public_user_leaves_the_hash_behind() -> None:
    now = datetime(2024, 5, 6, tzinfo=UTC)
    user = User(1, "ada", "a@example.com", "$argon2id$secret", True, now, now)
    public = UserPublic.model_validate(user)
    assert public.model_dump(mode="json") == {
        "id": 1,
        "username": "ada",
        "email": "a@example.com",
        "is_active": True,
        "is_admin": False,
        "created_at": "2024-05-06T00:00:00Z",
    }
    assert not any("password" in name for name in UserPublic.model_fields)


@pytest.mark.parametrize(
    "email",
    [
        "someone@host.test",
        "a@example.com",
        "ops@db.internal.example.org",
        "x@Mail.LOCAL",
        "x@localhost",
        "x@1.0.0.127.in-addr.arpa",
        "x@contest.com",
        "x@hidden.onion",
    ],
)
def test_the_schema_declares_exactly_the_addresses_accepted(email: str) -> None:
    """`format: email` alone promises more than EmailStr accepts: the pattern says the rest."""
    field = UserCreate.model_json_schema()["properties"]["email"]
    assert field["format"] == "email"
    declared = re.search(field["pattern"], email) is not None
    try:
        UserCreate(username="ada", email=email)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert declared == accepted
