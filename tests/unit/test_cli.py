"""`python -m app`: serve, check and settings, with uvicorn and the container injected."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from app.cli import APP_IMPORT_PATH, main, masked_settings
from app.observability import logging_config
from config import LogSettings, Settings
from containers import Container, override_services
from containers.discovery import services
from providers.cache import CacheService
from tests.examples.app_settings import AppContainer
from tests.helpers import fake


class RecordingRunner:
    """Stands in for `uvicorn.run` and remembers how it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))


def test_serve_defaults_to_localhost_8000() -> None:
    runner = RecordingRunner()
    assert main(["serve"], run_server=runner) == 0
    assert runner.calls == [
        (
            (APP_IMPORT_PATH,),
            {
                "host": "127.0.0.1",
                "port": 8000,
                "timeout_graceful_shutdown": 10.0,
                "proxy_headers": False,
                "log_config": logging_config(LogSettings()),
                "access_log": False,
            },
        )
    ]


def test_serve_passes_host_and_port() -> None:
    runner = RecordingRunner()
    assert main(["serve", "--host", "0.0.0.0", "--port", "8011"], run_server=runner) == 0  # noqa: S104
    options = runner.calls[0][1]
    assert (options["host"], options["port"]) == ("0.0.0.0", 8011)  # noqa: S104


def test_serve_reload_watches_the_source_and_leaves_workers_out_of_reload_mode() -> None:
    runner = RecordingRunner()
    assert main(["serve", "--reload"], run_server=runner) == 0
    [(args, options)] = runner.calls
    assert args == (APP_IMPORT_PATH,)
    assert options["reload"] is True
    watched = {Path(directory).name for directory in options["reload_dirs"]}
    assert watched == {"app", "config", "containers", "providers"}
    assert all(Path(directory).is_dir() for directory in options["reload_dirs"])
    # Workers inherit the environment: reload mode there would serve with no database.
    assert "APP_RELOAD_MODE" not in os.environ


def test_serve_refuses_to_start_a_server_in_reload_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_RELOAD_MODE", "true")
    runner = RecordingRunner()
    assert main(["serve", "--reload"], run_server=runner) == 2
    assert runner.calls == []
    assert "Unset APP_RELOAD_MODE" in capsys.readouterr().err


def test_serve_refuses_an_open_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    runner = RecordingRunner()
    assert main(["serve"], run_server=runner) == 2
    assert runner.calls == []
    assert "APP_API_KEY" in capsys.readouterr().err


def test_serve_reports_a_bad_setting_before_starting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_DATABASE__URL", "mysql://db/app")
    runner = RecordingRunner()
    assert main(["serve"], run_server=runner) == 2
    assert runner.calls == []
    error = capsys.readouterr().err
    assert error == (
        "configuration error:\nAPP_DATABASE__URL='mysql://db/app' (from the environment): "
        "unsupported database URL scheme 'mysql': use one of sqlite:///, postgresql://, "
        "postgres://\n"
    )


def test_a_misspelt_environment_stops_every_command_that_starts_services(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENVIRONEMNT", "production")
    runner = RecordingRunner()
    for command in ("serve", "check", "migrate"):
        assert main([command], run_server=runner) == 2
        error = capsys.readouterr().err
        assert "APP_ENVIRONEMNT (in the environment) should be APP_ENVIRONMENT" in error
    assert runner.calls == []


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "serve" in capsys.readouterr().err


def test_settings_prints_effective_values_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_API_KEY", "top-secret-key")
    monkeypatch.setenv("APP_CACHE__BACKEND", "redis")
    monkeypatch.setenv("APP_CACHE__URL", "redis://:hunter2@cache.internal:6379/0")
    monkeypatch.setenv("APP_BACKGROUND__LOCK_URL", "postgresql://app:pa55@db:5432/locks")
    assert main(["settings"]) == 0
    output = capsys.readouterr().out
    printed = json.loads(output)
    assert printed["api_key"] == "**********"
    assert printed["cache"]["url"] == "redis://:***@cache.internal:6379/0"
    assert printed["background"]["lock_url"] == "postgresql://app:***@db:5432/locks"
    assert printed["cache"]["backend"] == "redis"
    assert printed["database"]["url"] == "sqlite:///./data/wirework.db"
    for secret in ("top-secret-key", "hunter2", "pa55"):
        assert secret not in output


def test_commands_know_the_settings_sections_of_the_applications_container(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_MAILER__HOST", "relay.test:25")
    assert main(["settings"], container_factory=AppContainer) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out)["mailer"] == {"host": "relay.test:25"}
    assert "APP_MAILER__HOST" not in printed.err  # a setting of the application, not unknown


def test_serve_checks_the_settings_class_the_container_declares(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_MAILER__HOST", "relay.test:25")
    runner = RecordingRunner()
    assert main(["serve"], run_server=runner, container_factory=AppContainer) == 0
    assert len(runner.calls) == 1
    assert "not a setting" not in capsys.readouterr().err


def test_masking_leaves_urls_without_password_alone() -> None:
    settings = Settings(_env_file=None, cache={"backend": "redis", "url": "redis://user@h:1/0"})
    assert masked_settings(settings)["cache"]["url"] == "redis://user@h:1/0"


def test_check_reports_every_service(
    container: Container, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"], container_factory=lambda: container) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"environment test, database {settings.database.url}",
        "database   ok",
        "cache      ok",
        "background ok",
        "all services ready",
    ]


def test_check_names_a_failing_service_and_exits_1(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = fake(CacheService)
    cache.ping.side_effect = ConnectionError("no route to cache")
    with override_services(container, cache=cache):
        assert main(["check"], container_factory=lambda: container) == 1
    output = capsys.readouterr().out
    assert "cache      FAILED ConnectionError: no route to cache" in output
    assert output.splitlines()[-1] == "not ready: cache"


def test_check_closes_what_it_started(container: Container) -> None:
    assert main(["check"], container_factory=lambda: container) == 0
    for service in services(container):
        assert not service.provider.initialized, service.path


@pytest.mark.settings(database={"url": "sqlite:////proc/no-such-dir/app.db"})
def test_check_reports_a_start_up_failure(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"], container_factory=lambda: container) == 1
    output = capsys.readouterr().out
    assert "start-up failed:" in output
    assert not container.database.initialized


def test_check_of_the_default_settings_creates_the_sqlite_file(tmp_path: Path) -> None:
    """Zero set-up: the default database file appears under ./data/ (here, a temp dir)."""
    assert main(["check"]) == 0
    assert (tmp_path / "data" / "wirework.db").is_file()


def test_migrate_applies_pending_migrations_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_DATABASE__URL", f"sqlite:///{tmp_path}/migrate.db")
    monkeypatch.setenv("APP_DATABASE__MIGRATE_ON_START", "false")
    assert main(["migrate"]) == 0
    assert "applied migrations: wirework:1" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "schema already up to date" in capsys.readouterr().out


def test_migrate_reports_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_DATABASE__URL", "postgresql://app:hunter2@127.0.0.1:1/app")
    monkeypatch.setenv("APP_DATABASE__ACQUIRE_TIMEOUT", "1")
    assert main(["migrate"]) == 1
    error = capsys.readouterr().err
    assert "migration failed: start-up failed: cannot connect to PostgreSQL" in error
    assert "setting: APP_DATABASE__URL" in error
    assert "hunter2" not in error
