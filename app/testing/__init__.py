"""Wirework's pytest plugin (entry point `wirework`): fixtures for an isolated application.
Every pytest run loads it, so it imports only pytest up front; the rest loads on first use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

    from config import Settings
    from containers import Container
    from providers.users import User

__all__ = ["SETTINGS_MARKER", "FakeClock", "TestDataFactory", "isolated_settings", "running_client"]

SETTINGS_MARKER: Final = "settings"
"""`@pytest.mark.settings(**fields)` changes single fields of the `settings` fixture."""
TESTING_EXTRA_HINT: Final = "install it with: pip install 'wirework[testing]'"
LIFESPAN_TIMEOUT: Final = 30.0
"""Seconds start-up and shutdown may take: migrations on a busy CI machine are slow, yet a
hung start-up still ends."""


def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """Default pytest-asyncio's fixture loop scope to `function`, the value it recommends, so
    an application's runs are not warned on every start; a configured value still wins."""
    parser.addini(
        "asyncio_default_fixture_loop_scope",
        "default event loop scope of asynchronous fixtures (set by the wirework plugin)",
        default="function",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SETTINGS_MARKER}(**fields): change single fields of the wirework `settings` "
        'fixture, e.g. api_key="...", database={"max_size": 2}; markers merge, the closest wins',
    )


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` applied; a section given as a dict changes only its own fields."""
    merged = dict(base)
    for name, value in changes.items():
        nested = isinstance(value, Mapping) and isinstance(merged.get(name), Mapping)
        merged[name] = _merged(merged[name], value) if nested else value
    return merged


def isolated_settings(
    directory: Path | None, settings_class: type[Settings] | None = None, **fields: Any
) -> Settings:
    """Test settings: SQLite in `directory` (in memory when None), the memory cache,
    `environment=test`, and `fields` on top (a section as a dict keeps the other defaults);
    nothing from `APP_*` variables or `.env`."""
    from config.settings import Settings, reading_values_only  # noqa: PLC0415  # when first needed

    database = ":memory:" if directory is None else directory / "wirework.db"
    defaults = {
        "environment": "test",
        "database": {"url": f"sqlite:///{database}"},
        "cache": {"backend": "memory"},
    }
    isolated_class: type[Settings] = reading_values_only(settings_class or Settings)
    return isolated_class(**_merged(defaults, fields))


@pytest.fixture
def container_class() -> type[Container]:
    """The container the tests build; redefine it for a subclass (its settings class too)."""
    from containers import Container  # noqa: PLC0415

    return Container


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, container_class: type[Container]
) -> Settings:
    """`isolated_settings` for this test; `@pytest.mark.settings` markers change fields, from
    module to class to test, the closest last."""
    fields: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(SETTINGS_MARKER))):
        if marker.args:
            raise TypeError(f"@pytest.mark.{SETTINGS_MARKER} takes field=value pairs only")
        fields = _merged(fields, marker.kwargs)
    return isolated_settings(tmp_path, container_class.settings.cls, **fields)


@pytest.fixture
def container(container_class: type[Container], settings: Settings) -> Container:
    """A `container_class` on `settings`, not started: override services freely before start-up."""
    container = container_class()
    container.settings.override(settings)
    return container


@pytest.fixture
def app(container: Container) -> FastAPI:
    """The application around `container`; its lifespan has not run."""
    from app.main import create_app  # noqa: PLC0415

    return create_app(container)


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An `httpx.AsyncClient` on `app` (base URL `http://test`) inside the app's lifespan:
    services start before the test and close after it; a start-up failure fails the test with
    its message."""
    try:
        import httpx  # noqa: PLC0415
        from asgi_lifespan import LifespanManager  # noqa: PLC0415
    except ImportError as error:
        pytest.fail(f"a Wirework test client needs {error.name}; {TESTING_EXTRA_HINT}")

    async with AsyncExitStack() as stack:
        lifespan = LifespanManager(
            app, startup_timeout=LIFESPAN_TIMEOUT, shutdown_timeout=LIFESPAN_TIMEOUT
        )
        try:
            manager = await stack.enter_async_context(lifespan)
        except Exception as error:
            pytest.fail(f"the application did not start: {type(error).__name__}: {error}")
        transport = httpx.ASGITransport(app=manager.app)
        yield await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://test")
        )


running_client = asynccontextmanager(_client)


client: Any
try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # without the testing extra, every other fixture still works

    def _client_needs_pytest_asyncio() -> None:
        pytest.fail(f"the `client` fixture needs pytest-asyncio; {TESTING_EXTRA_HINT}")

    client = pytest.fixture(_client_needs_pytest_asyncio, name="client")
else:
    client = _async_fixture(_client, name="client")


class FakeClock:
    """A monotonic clock that moves only when a test advances it: pass it as `clock=` to
    `CacheService`, `BackgroundService` or a task lock."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds} s)")
        self.now += seconds


class TestDataFactory:
    """Valid user records for tests; `overrides` vary single fields."""

    __test__ = False  # not a test class despite its name

    @staticmethod
    def create_user_data(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What a repository's `create` takes: the user `testuser`."""
        return {
            "username": "testuser",
            "email": "test@example.com",
            "password_hash": "hashed_password",
            "is_active": True,
            **(overrides or {}),
        }

    @staticmethod
    def create_user(overrides: Mapping[str, Any] | None = None) -> User:
        """A stored user as a repository returns it: what a fake repository should give."""
        from providers.users import User  # noqa: PLC0415

        moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        data = TestDataFactory.create_user_data({"id": 1, "password_hash": None})
        return User(**data | {"created_at": moment, "updated_at": moment, **(overrides or {})})


@pytest.fixture
def clock() -> FakeClock:
    """A `FakeClock` at 1000.0 s."""
    return FakeClock()


@pytest.fixture
def data_factory() -> TestDataFactory:
    return TestDataFactory()
