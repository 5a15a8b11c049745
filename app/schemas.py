"""Request and response bodies. Input models are strict and refuse unknown fields (a typo or
`"is_active": 0` is a 422); no response model has a field that could carry a password."""

from datetime import datetime
from typing import Annotated, Any, Final, Literal, Self

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BaseModel, ConfigDict, EmailStr, Field, RootModel, model_validator

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
"""Letters, digits, `_`, `.` and `-`: safe in URLs, logs and shells without quoting."""

Username = Annotated[
    str,
    Field(min_length=3, max_length=64, pattern=USERNAME_PATTERN, examples=["ada.lovelace"]),
]
Password = Annotated[
    str,
    Field(
        min_length=8, max_length=128, json_schema_extra={"format": "password", "writeOnly": True}
    ),
]


def _any_case(word: str) -> str:
    """`test` as `[Tt][Ee][Ss][Tt]`: JSON Schema patterns (ECMA 262) have no `(?i)` flag."""
    return "".join(f"[{letter.upper()}{letter.lower()}]" for letter in word)


EMAIL_PATTERN: Final = (
    "^(?!.*@(?:.*\\.)?(?:" + "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES) + ")$)"
)
"""What `format: email` does not say: special-use domains are refused. Documented only (the
regex engine of pydantic has no lookahead); EmailStr enforces the same rule."""

Email = Annotated[
    EmailStr,
    Field(
        description="An address at a globally routable domain: special-use names "
        f"({', '.join(SPECIAL_USE_DOMAIN_NAMES)}) are refused.",
        json_schema_extra={"pattern": EMAIL_PATTERN},
    ),
]


def _document_without_null(schema: dict[str, Any]) -> None:
    """Optional input fields may be omitted, never null: the document offers no `null`."""
    for field in schema.get("properties", {}).values():
        if {"type": "null"} in field.get("anyOf", []):
            branches = [branch for branch in field.pop("anyOf") if branch != {"type": "null"}]
            field.update(branches[0] if len(branches) == 1 else {"anyOf": branches})
        if "default" in field and field["default"] is None:
            del field["default"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_document_without_null)

    @model_validator(mode="after")
    def _no_explicit_null(self) -> Self:
        # None only marks "not sent": sending null would mean "erase it", which no field allows.
        if nulls := sorted(name for name in self.model_fields_set if getattr(self, name) is None):
            raise ValueError(f"{', '.join(nulls)} may be omitted but not null")
        return self


class UserCreate(_Input):
    """Body of `POST /api/users`; the password is optional and stored only as an argon2 hash."""

    username: Username
    email: Email
    password: Password | None = Field(None, repr=False)  # repr=False: kept out of log lines
    is_active: bool = True


class UserUpdate(_Input):
    """Body of `PATCH /api/users/{id}`: only the fields present are changed."""

    username: Username | None = None
    email: Email | None = None
    password: Password | None = Field(None, repr=False)
    is_active: bool | None = None


class UserPublic(BaseModel):
    """A user as the API shows it: never a password or its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    is_active: bool
    is_admin: bool
    created_at: datetime


class TokenResponse(BaseModel):
    """An access token, as the OAuth2 password flow returns it."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # OAuth2's token type, no secret
    expires_in: int = Field(description="seconds until the token expires")


class ErrorResponse(BaseModel):
    """Every error the API returns: a stable machine-readable code and a human detail."""

    error: str = Field(examples=["not_found"])
    detail: str | list[dict[str, Any]] = Field(examples=["no user with id 42"])


class HealthResponse(BaseModel):
    """Liveness: the process answers."""

    status: Literal["healthy"]


class ServiceCheck(BaseModel):
    """One service's answer to a readiness ping."""

    status: Literal["ok", "degraded", "error"] = Field(
        description="degraded: a service the instance serves without, worse, failed its ping"
    )
    error: str | None = Field(None, description="exception type when the ping failed")
    detail: str | None = Field(
        None,
        description="what went wrong, without the exception's message (it is in the server log)",
    )


class ReadinessResponse(BaseModel):
    """Readiness: whether every service answered its ping, and how each one did.

    `degraded` (with 200) when only services the instance serves without failed: keep it in
    rotation. `not_ready` (with 503) when a required one failed."""

    status: Literal["ready", "degraded", "not_ready"]
    checks: dict[str, ServiceCheck]


BUILT_IN_STATS_EXAMPLE: Final[dict[str, Any]] = {
    "database": {"status": "initialized", "backend": "sqlite", "in_use_connections": 0},
    "cache": {"status": "initialized", "backend": "memory", "entries": 0, "hit_rate": "0.0%"},
    "background": {"status": "running", "tasks": 0, "task_stats": {}},
}


class StatsResponse(RootModel[dict[str, dict[str, Any]]]):
    """Provider path (`infra.mailer` for a nested container) -> that service's `get_stats()`,
    for every service of the container that has one."""

    model_config = ConfigDict(json_schema_extra={"examples": [BUILT_IN_STATS_EXAMPLE]})
