"""Where settings come from besides the environment: layered `.env` files and a secrets folder.

Priority, highest first: arguments to `Settings(...)`, `APP_*` environment variables, the
env files (a later file wins over an earlier one), files in the secrets folder, defaults.
All of it is pydantic-settings' own machinery; this module only chooses the files.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from dotenv import dotenv_values
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
)

DEFAULT_ENV_FILE: Final = ".env"
ENV_FILE_VARIABLE: Final = "APP_ENV_FILE"
"""One env file, or several separated by `os.pathsep` (later wins), instead of the default pair."""
SECRETS_DIR_VARIABLE: Final = "APP_SECRETS_DIR"
"""A folder of files named like the settings (`APP_API_KEY`, `APP_DATABASE__URL`), as Docker
and Kubernetes mount secrets; each file holds one value."""
SOURCE_VARIABLES: Final = (ENV_FILE_VARIABLE, SECRETS_DIR_VARIABLE)
"""Read from the process environment only: they say where the other settings are."""


def _lookup(environ: Mapping[str, str], name: str) -> str | None:
    """`environ[name]`, ignoring case as pydantic-settings does for `APP_*` names."""
    for key, value in environ.items():
        if key.upper() == name:
            return value
    return None


def env_files(environ: Mapping[str, str] = os.environ) -> tuple[Path, ...]:
    """The env files to read, in order: `APP_ENV_FILE`, else `.env` then `.env.{environment}`.

    The environment is `APP_ENVIRONMENT` from the process, else from `.env`, else
    `development`. Missing files are skipped.
    """
    explicit = _lookup(environ, ENV_FILE_VARIABLE)
    if explicit:
        return tuple(Path(path) for path in explicit.split(os.pathsep) if path)
    environment = _lookup(environ, "APP_ENVIRONMENT")
    if not environment:
        from_file = {key.upper(): value for key, value in dotenv_values(DEFAULT_ENV_FILE).items()}
        environment = from_file.get("APP_ENVIRONMENT") or "development"
    return (Path(DEFAULT_ENV_FILE), Path(f"{DEFAULT_ENV_FILE}.{environment.strip().lower()}"))


def secrets_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The secrets folder named by `APP_SECRETS_DIR`, or None when it is not set."""
    folder = _lookup(environ, SECRETS_DIR_VARIABLE)
    return Path(folder) if folder else None


def layered_sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
    file_secret_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """pydantic-settings' sources, with the env files and secrets folder chosen above.

    An explicit `Settings(_env_file=...)` or `_secrets_dir=...` (as tests pass) is kept.
    """
    if isinstance(dotenv_settings, DotEnvSettingsSource) and (
        dotenv_settings.env_file == DEFAULT_ENV_FILE
    ):
        dotenv_settings = DotEnvSettingsSource(settings_cls, env_file=env_files())
    folder = secrets_dir()
    if (
        folder is not None
        and isinstance(file_secret_settings, SecretsSettingsSource)
        and file_secret_settings.secrets_dir is None
    ):
        # Nested: a file named APP_DATABASE__URL fills database.url. A folder that is named
        # but missing is an error, not a silently empty source.
        file_secret_settings = NestedSecretsSettingsSource(
            file_secret_settings, secrets_dir=folder, secrets_dir_missing="error"
        )
    return init_settings, env_settings, dotenv_settings, file_secret_settings
