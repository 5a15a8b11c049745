"""A failed start-up in a few lines (what failed, which setting, the likely fix), printed by
the lifespan guard, `check` and `migrate` instead of uvicorn's fifty-line traceback."""

from collections.abc import Iterator, Mapping
from typing import Any, Final

from config import Settings
from providers.errors import ServiceStartError
from providers.urls import redacted_url

_SETTING_ALTERNATIVES: Final = {
    "APP_CACHE__URL": "or set APP_CACHE__BACKEND=memory to run one instance without Redis",
}
"""Another way out, for the settings that have one, beside the error's own hint."""


def _url_settings(values: Mapping[str, Any], prefix: str = "APP_") -> Iterator[tuple[str, str]]:
    """Every setting holding a URL, as (environment variable name, value)."""
    for name, value in values.items():
        variable = f"{prefix}{name.upper()}"
        if isinstance(value, Mapping):
            yield from _url_settings(value, f"{variable}__")
        elif isinstance(value, str) and "://" in value:
            yield variable, value


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


def _named_in(message: str, url: str) -> bool:
    """True when `message` shows `url` (redacted) or, for SQLite, its file path."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    return redacted_url(url) in message or bool(path and path in message)


def describe_start_failure(error: BaseException, settings: Settings) -> str:
    """A few lines per failure: the message, the setting to change, the likely fix."""
    urls = list(_url_settings(settings.model_dump(mode="json")))
    lines = []
    for failure in _leaves(error):
        message = str(failure)
        fixes = [failure.hint] if isinstance(failure, ServiceStartError) else []
        if not isinstance(failure, ServiceStartError):
            message = f"{type(failure).__name__}: {message}"
        lines.append(f"start-up failed: {message}")
        if named := [variable for variable, url in urls if _named_in(str(failure), url)]:
            lines.append(f"  setting: {', '.join(named)}")
        fixes += [_SETTING_ALTERNATIVES[name] for name in named if name in _SETTING_ALTERNATIVES]
        if fixes:
            lines.append(f"  fix: {', '.join(fixes)}")
    return "\n".join(lines)
