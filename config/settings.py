"""Typed settings, validated once, when `Settings()` is built: services trust what they get.

Highest priority first: arguments, `APP_*` variables (`APP_DATABASE__URL`), the env files (a
later one wins), the secrets folder, defaults.
"""

import contextlib
import functools
import importlib.util
import os
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self, TypeVar

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from providers.urls import redacted_url

DEFAULT_ENV_FILE: Final = ".env"
ENV_FILE_VARIABLE: Final = "APP_ENV_FILE"  # env files separated by os.pathsep, later wins
SECRETS_DIR_VARIABLE: Final = "APP_SECRETS_DIR"  # files named like the settings, one value each
# Read from the process environment only: they say where the other settings are.
SOURCE_VARIABLES: Final = (ENV_FILE_VARIABLE, SECRETS_DIR_VARIABLE)


def _lookup(environ: Mapping[str, str | None], name: str) -> str | None:
    """`environ[name]`, ignoring case as pydantic-settings does for `APP_*` names."""
    return next((value for key, value in environ.items() if key.upper() == name), None)


def env_files(environ: Mapping[str, str] = os.environ) -> tuple[Path, ...]:
    """`APP_ENV_FILE`, else `.env` then `.env.{environment}`; missing files are skipped.

    The environment is `APP_ENVIRONMENT` from the process, else from `.env`, else development.
    """
    if explicit := _lookup(environ, ENV_FILE_VARIABLE):
        return tuple(Path(path) for path in explicit.split(os.pathsep) if path)
    environment = (
        _lookup(environ, "APP_ENVIRONMENT")
        or _lookup(dotenv_values(DEFAULT_ENV_FILE), "APP_ENVIRONMENT")
        or "development"
    )
    return Path(DEFAULT_ENV_FILE), Path(f"{DEFAULT_ENV_FILE}.{environment.strip().lower()}")


def secrets_dir() -> Path | None:
    folder = _lookup(os.environ, SECRETS_DIR_VARIABLE)
    return Path(folder) if folder else None


def _url_with_scheme(kind: str, *schemes: str) -> AfterValidator:
    """Accept a URL starting with one of `schemes`; name a rejected one by its scheme alone,
    since the rest may hold a password."""

    def check(url: str) -> str:
        if not url.startswith(schemes):
            scheme, allowed = url.partition(":")[0], ", ".join(schemes)
            raise ValueError(f"unsupported {kind} URL scheme {scheme!r}: use one of {allowed}")
        return url

    return AfterValidator(check)


def _importable(package: str) -> str:
    with contextlib.suppress(ImportError, ValueError):  # a missing parent, a relative name
        if importlib.util.find_spec(package) is not None:
            return package
    raise ValueError(f"migration package {package!r} cannot be found on the path")


def _blank_is_none(value: object) -> object:
    """`APP_API_KEY=` in a `.env` means "not set", not "the empty string is the key"."""
    return None if isinstance(value, str) and not value.strip() else value


def _upper(level: object) -> object:
    return level.upper() if isinstance(level, str) else level


DatabaseUrl = Annotated[
    str, _url_with_scheme("database", "sqlite:///", "postgresql://", "postgres://")
]
CacheUrl = Annotated[str, _url_with_scheme("cache", "redis://", "rediss://", "unix://")]
LockUrl = Annotated[
    str, _url_with_scheme("lock", "redis://", "rediss://", "postgresql://", "postgres://")
]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Secret = Annotated[SecretStr | None, BeforeValidator(_blank_is_none)]


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

    url: DatabaseUrl = "sqlite:///./data/wirework.db"
    min_size: int = Field(1, ge=0, le=100)  # opened at start-up
    max_size: int = Field(5, ge=1, le=100)
    acquire_timeout: Seconds = Field(5.0, le=300)
    # PostgreSQL only: opening a connection; waiting for an answer (then the request gets a
    # 503, so keep it below a proxy's timeout); how long an idle connection lives.
    connect_timeout: Seconds = Field(10.0, le=300)
    query_timeout: Seconds = Field(30.0, le=3600)
    max_inactive_connection_lifetime: Seconds = 300.0
    migrate_on_start: bool = True
    migrations: tuple[Annotated[str, AfterValidator(_importable)], ...] = ()  # after Wirework's

    @model_validator(mode="after")
    def _sizes_in_order(self) -> Self:
        if self.min_size > self.max_size:
            raise ValueError(
                f"min_size ({self.min_size}) must not exceed max_size ({self.max_size})"
            )
        return self


class CacheSettings(_Section):
    """Which store backs the cache and how entries age out of it."""

    backend: Literal["memory", "redis"] = "memory"
    url: CacheUrl | None = None
    max_size: int = Field(10_000, ge=1)  # entries the memory store keeps, then LRU eviction
    default_ttl: float = Field(300.0, gt=0)  # infinite: entries never expire
    namespace: str = Field("wirework", pattern=r"^[A-Za-z0-9_.:-]+$")  # the key prefix in Redis

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.backend == "redis" and not self.url:
            raise ValueError("backend 'redis' needs url (set APP_CACHE__URL=redis://host:6379/0)")
        return self


class BackgroundSettings(_Section):
    """Where exclusive periodic tasks take the lock that lets one instance run them."""

    lock_url: LockUrl | None = None  # unset: the Redis cache's, else in-process only
    stop_timeout: Seconds = Field(5.0, le=300)
    heartbeat_interval: Seconds | None = None  # unset: no cluster heartbeat


class ServerSettings(_Section):
    """How the HTTP server treats requests: the largest body it reads, how long it drains."""

    max_body_size: int = Field(1_048_576, ge=1)  # bytes; a larger body is a 413, unread
    shutdown_timeout: Seconds = Field(10.0, le=600)  # for in-flight requests after SIGTERM
    # Take the scheme, client and host from X-Forwarded-* sent by these peers (or *).
    proxy_headers: bool = True
    forwarded_allow_ips: str = Field("127.0.0.1", min_length=1)


class LogSettings(_Section):
    """How the application and the server log: for people (text) or log systems (json)."""

    format: Literal["text", "json"] = "text"
    level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
    ] = "INFO"
    access: bool = True


class AuthSettings(_Section):
    """Signing in: the key that signs access tokens, their lifetime, failed-attempt limits."""

    token_secret: Secret = None  # required in production, else random per process
    token_lifetime: Seconds = Field(900.0, le=86_400)
    max_failures_per_email: int = Field(5, ge=1)  # within failure_window, then 429
    max_failures_per_client: int = Field(20, ge=1)
    failure_window: Seconds = Field(300.0, le=86_400)


class Settings(BaseSettings):
    """Every setting of a Wirework application, from `APP_*` variables and `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="APP_",
        env_nested_delimiter="__",
        env_file=DEFAULT_ENV_FILE,  # then .env.{environment}: see settings_customise_sources
        env_file_encoding="utf-8",
        extra="ignore",  # a .env may hold other tools' variables; sections reject unknown keys
        frozen=True,
        hide_input_in_errors=True,  # a rejected value may be a secret
    )

    environment: Environment = Environment.DEVELOPMENT
    reload_mode: bool = False  # in a reloading supervisor: services open nothing
    api_key: Secret = None  # when set, data endpoints need X-API-Key
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
        """Read the env files and secrets folder chosen above, unless `Settings(...)` names one."""
        if getattr(dotenv_settings, "env_file", None) == DEFAULT_ENV_FILE:
            dotenv_settings = DotEnvSettingsSource(settings_cls, env_file=env_files())
        if (
            (folder := secrets_dir()) is not None
            and isinstance(file_secret_settings, SecretsSettingsSource)
            and file_secret_settings.secrets_dir is None
        ):
            # APP_DATABASE__URL fills database.url; a folder named but missing is an error.
            file_secret_settings = NestedSecretsSettingsSource(
                file_secret_settings, secrets_dir=folder, secrets_dir_missing="error"
            )
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @property
    def task_lock_url(self) -> str | None:
        """Where exclusive tasks lock: `background.lock_url`, else the Redis cache, else here."""
        redis_cache = self.cache.url if self.cache.backend == "redis" else None
        return self.background.lock_url or redis_cache


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


@functools.cache
def reading_values_only(settings_class: type[SettingsT]) -> type[SettingsT]:
    """A subclass of `settings_class` built from the values it is given and the defaults alone:
    no environment variable, env file or secrets folder."""

    def init_values_only(  # after the class and settings_cls, the sources by name
        *_: object, init_settings: PydanticBaseSettingsSource, **outside_sources: object
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    namespace = {
        "__module__": __name__,
        "settings_customise_sources": classmethod(init_values_only),
    }
    return type(f"Isolated{settings_class.__name__}", (settings_class,), namespace)
