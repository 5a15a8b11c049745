"""Wirework's pytest plugin, as an application's tests meet it: no conftest, a hostile shell."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.testing import FakeClock, TestDataFactory, isolated_settings
from config import Settings
from containers import Container
from tests.examples.app_settings import AppContainer, AppSettings
from tests.servers import PROJECT_ROOT

QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")
"""Plugins of Wirework's own test tools that an application's tests do not need; schemathesis
alone takes seconds to load."""

APPLICATION_TESTS = """
from unittest.mock import create_autospec

import pytest

from containers import override_services
from providers.database import Page
from providers.users import UserRepository


@pytest.mark.asyncio
async def test_user_through_client_override_through_container(client, container, settings):
    created = await client.post("/api/users", json={"username": "ada", "email": "a@example.com"})
    assert created.status_code == 201, created.text
    assert settings.cache.backend == "memory"
    assert settings.environment == "test"
    assert settings.api_key is None

    fake = create_autospec(UserRepository, instance=True, spec_set=True)
    fake.page.return_value = Page([], 0)
    with override_services(container, users=fake):
        assert (await client.get("/api/users")).json() == []
    assert [u["username"] for u in (await client.get("/api/users")).json()] == ["ada"]


@pytest.mark.asyncio
@pytest.mark.settings(environment="production")
async def test_a_start_up_failure_fails_the_test(client):
    raise AssertionError("never reached: the client fixture failed first")
"""


def readme_example() -> str:
    """The first Python example of the README's "Testing your application" section."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Testing your application") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_an_application_test_module_needs_no_conftest(tmp_path: Path) -> None:
    """An application's test module in a fresh interpreter: strict mode, and a shell and a
    `.env` that would break the tests if the fixtures read them. The README's example runs
    beside it."""
    folder = tmp_path / "plugin-check"
    folder.mkdir()
    (folder / "test_app.py").write_text(textwrap.dedent(APPLICATION_TESTS))
    (folder / "test_readme_example.py").write_text(readme_example())
    (folder / ".env").write_text("APP_API_KEY=from-a-dotenv-file\n")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APP_", "PYTEST_"))
    }
    environment |= {
        "APP_CACHE__BACKEND": "redis",
        "APP_DATABASE__URL": "bogus://nowhere",
        "APP_ENVIRONMENT": "development",
    }

    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "pytest", "-o", "asyncio_mode=strict", *QUIET_PLUGINS],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    # pytest-asyncio warns on every run whose configuration leaves its loop scope unset.
    assert "PytestDeprecationWarning" not in output, output
    assert "2 passed, 1 error" in output, output
    assert (
        "Failed: the application did not start: InsecureConfigurationError: "
        "refusing to start: APP_ENVIRONMENT is production but APP_API_KEY is not set"
    ) in output, output


def test_settings_read_neither_the_shell_nor_a_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("APP_CACHE__BACKEND", "redis")
    monkeypatch.setenv("APP_DATABASE__URL", "bogus://nowhere")
    monkeypatch.setenv("APP_API_KEY", "from-the-shell")
    (tmp_path / ".env").write_text("APP_RELOAD_MODE=true\n")  # the test's working folder

    settings = isolated_settings(tmp_path)

    assert isinstance(settings, Settings)
    assert settings.environment == "test"
    assert settings.database.url == f"sqlite:///{tmp_path / 'wirework.db'}"
    assert settings.cache.backend == "memory"
    assert settings.api_key is None
    assert settings.reload_mode is False


def test_a_section_given_as_a_dict_keeps_the_other_test_defaults(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path, database={"max_size": 2}, api_key="key")
    assert settings.database.max_size == 2
    assert settings.database.url == f"sqlite:///{tmp_path / 'wirework.db'}"
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "key"


def test_bad_fields_fail_like_real_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_size"):
        isolated_settings(tmp_path, database={"max_size": 0})


@pytest.mark.settings(cache={"default_ttl": 5})
class TestSettingsMarker:
    @pytest.mark.settings(database={"max_size": 2})
    def test_markers_from_class_and_test_are_merged(self, settings: Settings) -> None:
        assert settings.cache.default_ttl == 5
        assert settings.cache.backend == "memory"
        assert settings.database.max_size == 2
        assert settings.database.url.startswith("sqlite:///")

    @pytest.mark.settings(cache={"default_ttl": 7})
    def test_the_closest_marker_wins(self, settings: Settings) -> None:
        assert settings.cache.default_ttl == 7


def test_each_test_gets_its_own_database_file(settings: Settings, tmp_path: Path) -> None:
    assert settings.database.url == f"sqlite:///{tmp_path / 'wirework.db'}"


def test_container_is_built_on_settings_and_not_started(
    container: Container, settings: Settings
) -> None:
    assert container.settings() is settings
    for name in ("database", "cache", "background", "users"):
        assert not getattr(container, name).initialized, name


class TestAnApplicationsOwnContainer:
    """`container_class` redefined: settings of the class it declares, sections included."""

    @pytest.fixture
    def container_class(self) -> type[Container]:
        return AppContainer

    @pytest.mark.settings(mailer={"host": "relay.test:25"})
    def test_markers_reach_the_applications_own_sections(
        self, container: Container, settings: Settings
    ) -> None:
        assert container.settings() is settings
        assert isinstance(settings, AppSettings)
        assert settings.mailer.host == "relay.test:25"


async def test_client_runs_the_app_fixture_with_its_lifespan(
    client: httpx.AsyncClient, app: FastAPI, container: Container
) -> None:
    assert str(client.base_url) == "http://test"
    assert (await client.get("/api/ready")).status_code == 200
    assert app.state.container is container
    assert (await container.database()).is_initialized


def test_the_fake_clock_moves_only_forward_and_only_when_told(clock: FakeClock) -> None:
    assert clock() == clock() == 1000.0
    clock.advance(2.5)
    assert clock() == 1002.5
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)


def test_the_data_factory_builds_a_valid_user(data_factory: TestDataFactory) -> None:
    assert data_factory.create_user_data()["username"] == "testuser"
    assert data_factory.create_user_data({"username": "ada"})["username"] == "ada"
    user = data_factory.create_user({"id": 7})
    assert (user.id, user.username, user.password_hash) == (7, "testuser", None)


def test_loading_the_plugin_imports_neither_the_app_nor_its_libraries() -> None:
    """Every pytest run in an environment with Wirework installed loads the plugin."""
    probe = (
        "import sys, pytest, pytest_asyncio; before = set(sys.modules); "
        "import app.testing; print(sorted(set(sys.modules) - before))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "['app', 'app.testing']"
