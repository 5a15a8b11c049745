"""Typed settings: every knob of every service, validated when `Settings()` is built.

Environment variables use the prefix `APP_` and `__` between a section and its field,
for example `APP_DATABASE__URL` or `APP_CACHE__BACKEND`.
"""

import importlib.util
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.sources import DEFAULT_ENV_FILE, file_sources
from providers.urls import redacted_url

DEFAULT_DATABASE_URL = "sqlite:///./data/wirework.db"
SUPPORTED_DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")
SUPPORTED_LOCK_SCHEMES = ("redis://", "rediss://", "postgresql://", "postgres://")


def _scheme(url: str) -> str:
    """Only the scheme of a rejected URL goes into a message: the rest may hold a password."""
    return url.partition("://")[0] if "://" in url else url.partition(":")[0]


class Environment(StrEnum):
    """Where the application runs; production turns on the strict start-up checks."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class _Section(BaseModel):
    # A misspelt key in a section is a mistake the user wants to hear about at start-up.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # A URL may carry a password: repr() and str() show it as ***, as logs should.
        for name, value in super().__repr_args__():
            yield name, redacted_url(value) if isinstance(value, str) and "://" in value else value


class DatabaseSettings(_Section):
    """Where the data lives and how many connections the pool may hold."""

    url: str = Field(
        DEFAULT_DATABASE_URL, description="sqlite:///path, sqlite:///:memory: or postgresql://…"
    )
    min_size: int = Field(1, ge=0, le=100, description="connections opened at start-up")
    max_size: int = Field(5, ge=1, le=100, description="most connections open at once")
    acquire_timeout: float = Field(
        5.0, gt=0, le=300, description="seconds to wait for a free connection"
    )
    connect_timeout: float = Field(
        10.0, gt=0, le=300, description="PostgreSQL: seconds to open one connection"
    )
    query_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="PostgreSQL: seconds a statement may wait for the server's answer before "
        "the request gets a 503 (below a proxy's timeout, above the slowest statement)",
    )
    max_inactive_connection_lifetime: float = Field(
        300.0, gt=0, description="PostgreSQL: seconds an idle connection lives before it is closed"
    )
    migrate_on_start: bool = Field(True, description="apply pending schema migrations at start-up")
    migrations: tuple[str, ...] = Field(
        (), description="your own migration packages (import names), applied after Wirework's"
    )

    @field_validator("migrations")
    @classmethod
    def _importable(cls, packages: tuple[str, ...]) -> tuple[str, ...]:
        for package in packages:
            try:
                found = importlib.util.find_spec(package) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                raise ValueError(f"migration package {package!r} cannot be found on the path")
        return packages

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not url.startswith(SUPPORTED_DATABASE_SCHEMES):
            allowed = ", ".join(SUPPORTED_DATABASE_SCHEMES)
            raise ValueError(
                f"unsupported database URL scheme {_scheme(url)!r}: use one of {allowed}"
            )
        return url

    @model_validator(mode="after")
    def _sizes_in_order(self) -> Self:
        if self.min_size > self.max_size:
            raise ValueError(
                f"min_size ({self.min_size}) must not exceed max_size ({self.max_size})"
            )
        return self


class CacheSettings(_Section):
    """Which store backs the cache and how entries age out of it."""

    backend: Literal["memory", "redis"] = Field(
        "memory", description="memory (one process) or redis (shared)"
    )
    url: str | None = Field(
        None, description="redis://host:port/db, required when backend is redis"
    )
    max_size: int = Field(
        10_000, ge=1, description="entries kept by the memory store before LRU eviction"
    )
    default_ttl: float = Field(
        300.0, gt=0, description="seconds an entry lives unless set with its own ttl"
    )
    namespace: str = Field(
        "wirework", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$", description="key prefix in Redis"
    )

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.backend == "redis" and not self.url:
            raise ValueError("backend 'redis' needs url (set APP_CACHE__URL=redis://host:6379/0)")
        if self.url is not None and not self.url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"unsupported cache URL scheme {_scheme(self.url)!r}: use redis://, rediss:// or unix://"
            )
        return self


class BackgroundSettings(_Section):
    """Where exclusive periodic tasks take the lock that lets one instance run them."""

    lock_url: str | None = Field(
        None, description="redis://… or postgresql://…; unset means in-process only"
    )
    stop_timeout: float = Field(
        5.0, gt=0, le=300, description="seconds stop() waits for running tasks"
    )
    heartbeat_interval: float | None = Field(
        None, gt=0, description="seconds between cluster heartbeats (an exclusive task); unset: off"
    )

    @field_validator("lock_url")
    @classmethod
    def _known_lock_scheme(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(SUPPORTED_LOCK_SCHEMES):
            allowed = ", ".join(SUPPORTED_LOCK_SCHEMES)
            raise ValueError(f"unsupported lock URL scheme {_scheme(url)!r}: use one of {allowed}")
        return url


class ServerSettings(_Section):
    """How the HTTP server treats requests: the largest body it reads, how long it drains."""

    max_body_size: int = Field(
        1_048_576,
        ge=1,
        description="bytes a request body may have; a larger one is refused with 413 unread",
    )
    shutdown_timeout: float = Field(
        10.0,
        gt=0,
        le=600,
        description="seconds `serve` gives in-flight requests after SIGTERM before cancelling them",
    )
    proxy_headers: bool = Field(
        True,
        description="take the scheme, client address and host from X-Forwarded-Proto, -For "
        "and -Host, when the peer is in forwarded_allow_ips",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        min_length=1,
        description="trusted proxies: comma-separated addresses or networks (10.0.0.0/8), or *",
    )


class LogSettings(_Section):
    """How the application and the server log: for people (text) or log systems (json)."""

    format: Literal["text", "json"] = Field(
        "text", description="text: one readable line per record; json: one JSON object per line"
    )
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="the least severe records written"
    )
    access: bool = Field(True, description="one line per answered request (at INFO)")

    @field_validator("level", mode="before")
    @classmethod
    def _any_case(cls, level: object) -> object:
        return level.upper() if isinstance(level, str) else level


class AuthSettings(_Section):
    """Signing in: the key that signs access tokens, their lifetime, failed-attempt limits."""

    token_secret: SecretStr | None = Field(
        None,
        description="signs access tokens; required in production, else random per process",
    )
    token_lifetime: float = Field(
        900.0, gt=0, le=86_400, description="seconds an access token stays valid"
    )
    max_failures_per_email: int = Field(
        5, ge=1, description="failed sign-ins for one e-mail before 429, per window"
    )
    max_failures_per_client: int = Field(
        20, ge=1, description="failed sign-ins from one client address before 429, per window"
    )
    failure_window: float = Field(
        300.0, gt=0, le=86_400, description="seconds failed sign-ins are counted for"
    )

    @field_validator("token_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class Settings(BaseSettings):
    """Every setting of a Wirework application, from `APP_*` variables and `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="APP_",
        env_nested_delimiter="__",
        env_file=DEFAULT_ENV_FILE,  # then .env.{environment}: see config/sources.py
        env_file_encoding="utf-8",
        # A .env file may hold other tools' variables; sections still reject unknown keys.
        extra="ignore",
        frozen=True,
        # Errors name the setting and the rule, never the value: it may be a secret.
        hide_input_in_errors=True,
    )

    environment: Environment = Environment.DEVELOPMENT
    reload_mode: bool = Field(
        False, description="true in a reloading supervisor: open no resources"
    )
    api_key: SecretStr | None = Field(None, description="when set, data endpoints need X-API-Key")
    database: DatabaseSettings = DatabaseSettings()
    cache: CacheSettings = CacheSettings()
    background: BackgroundSettings = BackgroundSettings()
    server: ServerSettings = ServerSettings()
    log: LogSettings = LogSettings()
    auth: AuthSettings = AuthSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """`.env` then `.env.{environment}` (or `APP_ENV_FILE`), and `APP_SECRETS_DIR`."""
        return (
            init_settings,
            env_settings,
            *file_sources(settings_cls, dotenv_settings, file_secret_settings),
        )

    @property
    def task_lock_url(self) -> str | None:
        """Where exclusive tasks lock: `background.lock_url`, else the Redis cache, else here."""
        if self.background.lock_url:
            return self.background.lock_url
        return self.cache.url if self.cache.backend == "redis" else None

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_no_key(cls, value: object) -> object:
        # `APP_API_KEY=` in a .env means "not set", not "the empty string is the key".
        return None if isinstance(value, str) and not value.strip() else value
