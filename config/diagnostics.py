"""Settings that were meant but not taken: unknown `APP_*` names and unparsable env-file lines.

pydantic-settings ignores both (an env file may hold other tools' variables), so
`APP_ENVIRONEMNT=production` would leave the application in development without a word.
`python -m app serve`, `check` and `settings` print these problems, and refuse the near misses
that would change what is protected (see `refuse_near_misses`). `explain_settings_error` puts
a failed validation in the user's words.
"""

import dataclasses
import difflib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from dotenv.parser import Binding, parse_stream
from pydantic import BaseModel, SecretStr, ValidationError

from config.settings import Settings
from config.sources import SOURCE_VARIABLES, env_files, secrets_dir
from providers.urls import redacted_url

PREFIX: Final = "APP_"
NESTED_DELIMITER: Final = "__"
OTHER_KNOWN_NAMES: Final = ("APP_TEST_POSTGRES_URL", "APP_TEST_REDIS_URL")
"""`APP_*` variables Wirework reads that are not settings: the test suite's servers."""


@dataclass(frozen=True, slots=True)
class UnknownSetting:
    """An `APP_*` name no setting has; `suggestion` is the closest real one, if any is close."""

    name: str
    source: str
    suggestion: str | None
    value: str = dataclasses.field(default="", compare=False, repr=False)  # it may be a secret

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


def setting_names(model: type[BaseModel] = Settings, prefix: str = PREFIX) -> Iterator[str]:
    """Every environment variable name `model` reads: sections, and each of their fields."""
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        yield variable
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            yield from setting_names(section, f"{variable}{NESTED_DELIMITER}")


def _unknown(name: str, value: str, source: str, known: list[str]) -> UnknownSetting | None:
    upper = name.upper()
    if not upper.startswith(PREFIX) or upper in known:
        return None
    close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
    return UnknownSetting(name, source, close[0] if close else None, value)


def check_sources(
    settings_cls: type[BaseModel] = Settings,
    environ: Mapping[str, str] | None = None,
    files: tuple[Path, ...] | None = None,
) -> list[UnknownSetting | UnparsableLine]:
    """Every unknown `APP_*` name in the environment and the env files, and every bad line."""
    environ = os.environ if environ is None else environ
    files = env_files(environ) if files is None else files
    known = [*setting_names(settings_cls), *SOURCE_VARIABLES, *OTHER_KNOWN_NAMES]
    problems: list[UnknownSetting | UnparsableLine] = []
    for name in sorted(environ):
        unknown = _unknown(name, environ[name], "the environment", known)
        if unknown is not None:
            problems.append(unknown)
    for path in files:
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                line = _line(binding)
                if binding.error:
                    problems.append(UnparsableLine(path, line))
                elif binding.key is not None:
                    unknown = _unknown(binding.key, binding.value or "", f"{path}:{line}", known)
                    if unknown is not None:
                        problems.append(unknown)
    return problems


def refuse_near_misses(
    settings: Settings, problems: Sequence[UnknownSetting | UnparsableLine]
) -> None:
    """Raise for a near miss of a real setting that must not be lost.

    In production every near miss; elsewhere a misspelt `APP_ENVIRONMENT`, or any near miss
    whose value is `production`: that value was meant to turn the production checks on.
    Names close to nothing (another tool's `APP_URL`) only get the warning.
    """
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


def explain_settings_error(
    error: ValidationError,
    settings_cls: type[BaseModel] = Settings,
    environ: Mapping[str, str] | None = None,
) -> str:
    """One line per bad value, e.g. `APP_DATABASE__MAX_SIZE='abc' (from .env:3): …`.

    The variable the user wrote, where its value came from (the environment, an env file and
    line, a secrets file), the value (`***` for a secret, URLs without their password) and
    pydantic's rule, without its links.
    """
    environ = os.environ if environ is None else environ
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        path = [str(part) for part in problem["loc"] if not isinstance(part, int)]
        variable = PREFIX + NESTED_DELIMITER.join(part.upper() for part in path)
        rule = problem["msg"].removeprefix("Value error, ")
        origin = _origin(variable, environ)
        if origin is None:
            lines.append(f"{variable}: {rule}")
            continue
        source, value = origin
        shown = "***" if _is_secret(settings_cls, path) else repr(redacted_url(value))
        lines.append(f"{variable}={shown} (from {source}): {rule}")
    return "\n".join(lines)


def _origin(variable: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """Where `variable`'s value came from (the highest-priority source first), and the value."""
    for name, value in environ.items():
        if name.upper() == variable:
            return "the environment", value
    for path in reversed(env_files(environ)):  # a later file wins
        found = _in_env_file(path, variable)
        if found is not None:
            return found
    folder = secrets_dir(environ)
    if folder is not None and (folder / variable).is_file():
        return str(folder / variable), (folder / variable).read_text().strip()
    return None


def _in_env_file(path: Path, variable: str) -> tuple[str, str] | None:
    if not path.is_file():
        return None
    found = None
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.key is not None and binding.key.upper() == variable:
                found = f"{path}:{_line(binding)}", binding.value or ""
    return found


def _line(binding: Binding) -> int:
    """The line the binding's own text starts on: python-dotenv counts from the blank lines
    before it."""
    original = binding.original
    return original.line + len(original.string) - len(original.string.lstrip("\n"))


def _is_secret(model: type[BaseModel], path: list[str]) -> bool:
    annotation: Any = model
    for name in path:
        field = getattr(annotation, "model_fields", {}).get(name)
        if field is None:
            return False
        annotation = field.annotation
    return SecretStr in (annotation, *getattr(annotation, "__args__", ()))
