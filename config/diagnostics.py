"""Settings that were meant but not taken: unknown `APP_*` names and unparsable env-file lines.

pydantic-settings ignores both (an env file may hold other tools' variables), so
`APP_ENVIRONEMNT=production` would leave the application in development without a word.
`python -m app serve`, `check` and `settings` print these problems; in production a name
that is a near miss of a real setting is refused (see `refuse_near_misses`).
"""

import difflib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dotenv.parser import parse_stream
from pydantic import BaseModel

from config.settings import Settings
from config.sources import SOURCE_VARIABLES, env_files

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


class NearMissInProductionError(ValueError):
    """In production, a misspelt setting is refused: the value it meant is not applied."""


def setting_names(model: type[BaseModel] = Settings, prefix: str = PREFIX) -> Iterator[str]:
    """Every environment variable name `model` reads: sections, and each of their fields."""
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        yield variable
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            yield from setting_names(section, f"{variable}{NESTED_DELIMITER}")


def _unknown(name: str, source: str, known: list[str]) -> UnknownSetting | None:
    upper = name.upper()
    if not upper.startswith(PREFIX) or upper in known:
        return None
    close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
    return UnknownSetting(name, source, close[0] if close else None)


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
        unknown = _unknown(name, "the environment", known)
        if unknown is not None:
            problems.append(unknown)
    for path in files:
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                line = binding.original.line
                if binding.error:
                    problems.append(UnparsableLine(path, line))
                elif binding.key is not None:
                    unknown = _unknown(binding.key, f"{path}:{line}", known)
                    if unknown is not None:
                        problems.append(unknown)
    return problems


def refuse_near_misses(
    settings: Settings, problems: Sequence[UnknownSetting | UnparsableLine]
) -> None:
    """Raise in production when an unknown name is a near miss of a real setting.

    Elsewhere, and for names close to nothing (another tool's `APP_URL`), a warning is enough.
    """
    if settings.environment != "production":
        return
    near_misses = [
        f"{problem.name} (in {problem.source}) should be {problem.suggestion}"
        for problem in problems
        if isinstance(problem, UnknownSetting) and problem.suggestion is not None
    ]
    if near_misses:
        raise NearMissInProductionError(
            f"refusing to start in production with misspelt settings, whose values would be "
            f"ignored: {'; '.join(near_misses)}. Rename them, or remove them if they are not "
            "meant for Wirework."
        )
