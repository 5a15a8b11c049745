"""Request and response bodies of the HTTP API.

Input models reject unknown fields, so a typo (`"emial"`) is a 422 instead of being
silently ignored. No response model has a password or hash field, so none can leak one.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

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


class UserCreate(BaseModel):
    """Body of `POST /api/users`; the password is optional and stored only as an argon2 hash."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    email: EmailStr
    # repr=False keeps the value out of any log line that prints the model.
    password: Password | None = Field(None, repr=False)
    is_active: bool = True


class UserUpdate(BaseModel):
    """Body of `PATCH /api/users/{id}`: only the fields present are changed."""

    model_config = ConfigDict(extra="forbid")

    username: Username | None = None
    email: EmailStr | None = None
    password: Password | None = Field(None, repr=False)
    is_active: bool | None = None

    @model_validator(mode="after")
    def _no_explicit_null(self) -> Self:
        # Omitting a field keeps it; sending null would mean "erase it", which no field allows.
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may be omitted but not null")
        return self


class UserPublic(BaseModel):
    """A user as the API shows it: never a password or its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    is_active: bool
    created_at: datetime


class ErrorResponse(BaseModel):
    """Every error the API returns: a stable machine-readable code and a human detail."""

    error: str = Field(examples=["not_found"])
    detail: str | list[dict[str, Any]] = Field(examples=["no user with id 42"])


class HealthResponse(BaseModel):
    """Liveness: the process answers."""

    status: Literal["healthy"]


class ServiceCheck(BaseModel):
    """One service's answer to a readiness ping."""

    status: Literal["ok", "error"]
    error: str | None = Field(None, description="exception type when the ping failed")
    detail: str | None = Field(None, description="exception message when the ping failed")


class ReadinessResponse(BaseModel):
    """Readiness: whether every service answered its ping, and how each one did."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, ServiceCheck]


class StatsResponse(BaseModel):
    """Each service's own statistics, as its `get_stats()` reports them."""

    database: dict[str, Any]
    cache: dict[str, Any]
    background: dict[str, Any]
