"""A failed start-up told in a few lines: what failed, which setting, the likely fix.

uvicorn prints the traceback Starlette puts in the lifespan's failure message: fifty lines
that bury the one that matters. `LifespanGuardMiddleware` replaces that text with
`describe_start_failure`, which `python -m app check` and `migrate` print too.
"""

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


def settings_named_in(message: str, settings: Settings) -> list[str]:
    """The settings whose URL (shown redacted) or SQLite path appears in `message`."""
    named = []
    for variable, url in _url_settings(settings.model_dump(mode="json")):
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
        if redacted_url(url) in message or (path and path in message):
            named.append(variable)
    return named


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


def describe_start_failure(error: BaseException, settings: Settings) -> str:
    """A few lines per failure: the message, the setting to change, the likely fix."""
    lines = []
    for failure in _leaves(error):
        message = str(failure)
        if isinstance(failure, ServiceStartError):
            lines.append(f"start-up failed: {message}")
        else:
            lines.append(f"start-up failed: {type(failure).__name__}: {message}")
        named = settings_named_in(message, settings)
        if named:
            lines.append(f"  setting: {', '.join(named)}")
        fixes = [failure.hint] if isinstance(failure, ServiceStartError) else []
        fixes += [_SETTING_ALTERNATIVES[name] for name in named if name in _SETTING_ALTERNATIVES]
        if fixes:
            lines.append(f"  fix: {', '.join(fixes)}")
    return "\n".join(lines)
