"""Settings meant but not taken, and failed validations put in the user's words.

pydantic-settings ignores unknown `APP_*` names and unparsable env-file lines, so a typo such as
`APP_ENVIRONEMNT=production` would go unnoticed: the command line reports them.
"""

import difflib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, get_args

from dotenv.parser import parse_stream
from pydantic import BaseModel, SecretStr, ValidationError

from config.settings import SOURCE_VARIABLES, Settings, env_files, secrets_dir
from providers.urls import redacted_url

PREFIX: Final = "APP_"
NESTED_DELIMITER: Final = "__"
ENVIRONMENT: Final = "the environment"
OTHER_KNOWN_NAMES: Final = ("APP_TEST_POSTGRES_URL", "APP_TEST_REDIS_URL")  # the test servers


@dataclass(frozen=True, slots=True)
class UnknownSetting:
    """An `APP_*` name no setting has; `suggestion` is the closest real one, if any is close."""

    name: str
    source: str
    suggestion: str | None
    value: str = field(default="", compare=False, repr=False)  # it may be a secret

    def __str__(self) -> str:
        text = f"{self.name} (in {self.source}) is not a setting and is ignored"
        return f"{text}; did you mean {self.suggestion}?" if self.suggestion else text


@dataclass(frozen=True, slots=True)
class UnparsableLine:
    """A line of an env file that python-dotenv could not read, so every value on it is lost."""

    path: Path
    line: int

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: cannot parse this line, so it is ignored; write "
            "NAME=value, quoting a value that has spaces or #"
        )


class MisspeltSettingError(ValueError):
    """A misspelt setting whose lost value would leave the application less protected."""


def _variables(model: type[BaseModel], prefix: str = PREFIX) -> Iterator[tuple[str, Any]]:
    """(environment variable name, annotation) of every section of `model`, and of each field."""
    for name, info in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        yield variable, info.annotation
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            yield from _variables(info.annotation, f"{variable}{NESTED_DELIMITER}")


def setting_names(model: type[BaseModel] = Settings) -> Iterator[str]:
    """Every environment variable name `model` reads: sections, and each of their fields."""
    return (variable for variable, _ in _variables(model))


def _assignments(
    environ: Mapping[str, str], files: tuple[Path, ...]
) -> Iterator[tuple[str, str, str] | UnparsableLine]:
    """Every (name, value, where) in the environment, then in each env file, line by line."""
    for name in sorted(environ):
        yield name, environ[name], ENVIRONMENT
    for path in (path for path in files if path.is_file()):
        with path.open(encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                # python-dotenv counts a binding's lines from the blank lines before it.
                text = binding.original.string
                line = binding.original.line + len(text) - len(text.lstrip("\n"))
                if binding.error:
                    yield UnparsableLine(path, line)
                elif binding.key is not None:
                    yield binding.key, binding.value or "", f"{path}:{line}"


def check_sources(
    settings_cls: type[BaseModel] = Settings,
    environ: Mapping[str, str] | None = None,
    files: tuple[Path, ...] | None = None,
) -> list[UnknownSetting | UnparsableLine]:
    """Every unknown `APP_*` name in the environment and the env files, and every bad line."""
    environ = os.environ if environ is None else environ
    known = [*setting_names(settings_cls), *SOURCE_VARIABLES, *OTHER_KNOWN_NAMES]
    problems: list[UnknownSetting | UnparsableLine] = []
    for item in _assignments(environ, env_files(environ) if files is None else files):
        if isinstance(item, UnparsableLine):
            problems.append(item)
            continue
        name, value, source = item
        if name.upper().startswith(PREFIX) and name.upper() not in known:
            close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.8)
            problems.append(UnknownSetting(name, source, close[0] if close else None, value))
    return problems


def refuse_near_misses(
    settings: Settings, problems: Sequence[UnknownSetting | UnparsableLine]
) -> None:
    """Raise for a near miss whose lost value was meant to protect: any in production, else a
    misspelt `APP_ENVIRONMENT` or one set to `production`. Names close to nothing only warn."""
    near_misses = [
        f"{problem.name} (in {problem.source}) should be {problem.suggestion}"
        for problem in problems
        if isinstance(problem, UnknownSetting)
        and problem.suggestion is not None
        and (
            settings.environment == "production"
            or problem.suggestion == "APP_ENVIRONMENT"
            or problem.value.strip().lower() == "production"
        )
    ]
    if near_misses:
        raise MisspeltSettingError(
            f"refusing to start with misspelt settings, whose values would be ignored: "
            f"{'; '.join(near_misses)}. Rename them, or remove them if they are not meant "
            "for Wirework."
        )


def explain_settings_error(error: ValidationError, settings_cls: type[BaseModel] = Settings) -> str:
    """One line per bad value: variable, value (`***` for a secret, URLs without their password),
    origin and rule: `APP_DATABASE__MAX_SIZE='abc' (from .env:3): Input should be …`."""
    secrets = {name for name, hint in _variables(settings_cls) if _holds_secret(hint)}
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        path = [str(part) for part in problem["loc"] if not isinstance(part, int)]
        variable = PREFIX + NESTED_DELIMITER.join(part.upper() for part in path)
        value = ""
        if origin := _origin(variable):
            shown = "***" if variable in secrets else repr(redacted_url(origin[1]))
            value = f"={shown} (from {origin[0]})"
        lines.append(f"{variable}{value}: {problem['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def _origin(variable: str) -> tuple[str, str] | None:
    """(where, value) of `variable`: the environment, else the last env-file line setting it,
    else the secrets folder."""
    found = None
    for item in _assignments(os.environ, env_files()):
        if isinstance(item, tuple) and item[0].upper() == variable:
            found = item[2], item[1]
            if item[2] == ENVIRONMENT:
                return found
    folder = secrets_dir()
    if found is None and folder is not None and (folder / variable).is_file():
        return str(folder / variable), (folder / variable).read_text().strip()
    return found


def _holds_secret(hint: Any) -> bool:
    """Whether a field's type is a `SecretStr`, also inside `Optional` or `Annotated`."""
    return hint is SecretStr or any(_holds_secret(inner) for inner in get_args(hint))
