"""Settings: environment variables, .env, defaults, and one clear error per bad value."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from config import Environment, Settings


def test_defaults_run_on_a_laptop_with_nothing_installed() -> None:
    settings = Settings(_env_file=None)
    assert settings.environment is Environment.TEST  # set by the clean_environment fixture
    assert settings.reload_mode is False
    assert settings.database.url.startswith("sqlite:///./data/")
    assert settings.cache.backend == "memory"
    assert settings.background.lock_url is None
    assert settings.api_key is None


def test_environment_variables_use_the_prefix_and_nested_delimiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_RELOAD_MODE", "true")
    monkeypatch.setenv("APP_DATABASE__URL", "postgresql://app@db/app")
    monkeypatch.setenv("APP_DATABASE__MAX_SIZE", "20")
    monkeypatch.setenv("APP_CACHE__BACKEND", "redis")
    monkeypatch.setenv("APP_CACHE__URL", "redis://cache:6379/0")
    monkeypatch.setenv("APP_API_KEY", "s3cret-key")
    settings = Settings()
    assert settings.reload_mode is True
    assert settings.database.url == "postgresql://app@db/app"
    assert settings.database.max_size == 20
    assert settings.cache.backend == "redis"
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "s3cret-key"
    assert "s3cret-key" not in repr(settings)


def test_dotenv_file_is_read_and_a_missing_one_is_fine(tmp_path: Path) -> None:
    assert Settings().cache.max_size == 10_000  # no .env in the test's folder
    (tmp_path / ".env").write_text("APP_CACHE__MAX_SIZE=42\nOTHER_TOOL=ignored\n")
    assert Settings().cache.max_size == 42


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("APP_ENVIRONMENT", "staging", "environment"),
        ("APP_RELOAD_MODE", "maybe", "reload_mode"),
        ("APP_DATABASE__URL", "mysql://db/app", "database.url"),
        ("APP_DATABASE__MAX_SIZE", "0", "database.max_size"),
        ("APP_DATABASE__ACQUIRE_TIMEOUT", "-1", "database.acquire_timeout"),
        ("APP_DATABASE__CONNECT_TIMEOUT", "0", "database.connect_timeout"),
        ("APP_DATABASE__MIN_SIZE", "9", "database"),
        ("APP_DATABASE__URLL", "sqlite:///x.db", "database.urll"),
        ("APP_CACHE__BACKEND", "memcached", "cache.backend"),
        ("APP_CACHE__BACKEND", "redis", "cache"),
        ("APP_CACHE__DEFAULT_TTL", "0", "cache.default_ttl"),
        ("APP_CACHE__NAMESPACE", "has space", "cache.namespace"),
        ("APP_CACHE__URL", "memcache://cache:11211", "cache.url"),
        ("APP_BACKGROUND__LOCK_URL", "zookeeper://z", "background.lock_url"),
        ("APP_BACKGROUND__HEARTBEAT_INTERVAL", "inf", "background.heartbeat_interval"),
        ("APP_DATABASE__MAX_INACTIVE_CONNECTION_LIFETIME", "inf", "database.max_inactive"),
    ],
)
def test_a_bad_value_fails_at_construction_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert caught.value.error_count() == 1
    assert named in str(caught.value)


def test_an_infinite_default_ttl_means_entries_never_expire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_CACHE__DEFAULT_TTL", "inf")
    assert Settings().cache.default_ttl == float("inf")


def test_settings_are_frozen_so_services_cannot_drift_from_them() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.reload_mode = True  # type: ignore[misc]


def test_task_lock_defaults_to_the_redis_cache_and_an_explicit_url_wins() -> None:
    assert Settings().task_lock_url is None
    on_redis = Settings(cache={"backend": "redis", "url": "redis://cache:6379/0"})
    assert on_redis.task_lock_url == "redis://cache:6379/0"
    explicit = Settings(
        cache={"backend": "redis", "url": "redis://cache:6379/0"},
        background={"lock_url": "postgresql://db/app"},
    )
    assert explicit.task_lock_url == "postgresql://db/app"


def test_errors_never_echo_a_rejected_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE__URL", "mysql://app:hunter2@db/app")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "'mysql'" in str(caught.value)
    assert "hunter2" not in str(caught.value)
