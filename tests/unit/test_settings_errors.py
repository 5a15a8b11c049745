"""A bad setting is reported in the user's words: the variable, its source, its value, the rule."""

from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field, SecretStr, ValidationError

from config import Settings
from config.diagnostics import (
    MisspeltSettingError,
    UnknownSetting,
    explain_settings_error,
    refuse_near_misses,
)

INTEGER_RULE = "Input should be a valid integer, unable to parse string as an integer"


def explained() -> str:
    with pytest.raises(ValidationError) as caught:
        Settings()
    return explain_settings_error(caught.value)


def test_a_value_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE__MAX_SIZE", "abc")
    message = explained()
    assert message == f"APP_DATABASE__MAX_SIZE='abc' (from the environment): {INTEGER_RULE}"
    assert "http" not in message


def test_a_value_from_an_env_file_names_the_file_and_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENVIRONMENT")
    Path(".env").write_text("APP_ENVIRONMENT=production\nAPP_API_KEY=x\n")
    Path(".env.production").write_text("# pool\n\napp_database__max_size=abc\n")
    assert explained() == (f"APP_DATABASE__MAX_SIZE='abc' (from .env.production:3): {INTEGER_RULE}")


def test_the_environment_wins_over_an_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("APP_DATABASE__MAX_SIZE=7\n")
    monkeypatch.setenv("APP_DATABASE__MAX_SIZE", "0")
    assert explained().startswith("APP_DATABASE__MAX_SIZE='0' (from the environment): ")


def test_a_value_from_a_secrets_file_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "APP_CACHE__BACKEND").write_text("memcached\n")
    monkeypatch.setenv("APP_SECRETS_DIR", str(secrets))
    message = explained()
    assert message.startswith(f"APP_CACHE__BACKEND='memcached' (from {secrets}/APP_CACHE__BACKEND)")
    assert "'memory' or 'redis'" in message


def test_a_password_in_a_url_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE__URL", "mysql://app:hunter2@db/app")
    message = explained()
    assert "hunter2" not in message
    assert message.startswith("APP_DATABASE__URL='mysql://app:***@db/app' (from the environment)")
    assert "unsupported database URL scheme 'mysql'" in message


def test_a_rule_across_fields_names_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DATABASE__MIN_SIZE", "9")
    monkeypatch.setenv("APP_DATABASE__MAX_SIZE", "2")
    assert explained() == "APP_DATABASE: min_size (9) must not exceed max_size (2)"


def near_miss(name: str, value: str, suggestion: str) -> UnknownSetting:
    return UnknownSetting(name, "the environment", suggestion, value)


@pytest.mark.parametrize(
    "problem",
    [
        near_miss("APP_ENVIRONEMNT", "production", "APP_ENVIRONMENT"),
        near_miss("APP_ENVIRONMNT", "staging", "APP_ENVIRONMENT"),
        near_miss("APP_ENVIROMENT", " Production ", "APP_ENVIRONMENT"),
    ],
)
def test_a_misspelt_environment_stops_start_up_in_development(problem: UnknownSetting) -> None:
    with pytest.raises(MisspeltSettingError, match=rf"{problem.name} .* should be APP_ENVIRONMENT"):
        refuse_near_misses(Settings(environment="development"), [problem])


def test_any_near_miss_whose_value_is_production_stops_start_up() -> None:
    problem = near_miss("APP_ENVIROMENT_NAME", "production", "APP_ENVIRONMENT")
    with pytest.raises(MisspeltSettingError):
        refuse_near_misses(Settings(environment="test"), [problem])


def test_other_near_misses_only_warn_outside_production() -> None:
    problem = near_miss("APP_CACHE__BAKEND", "redis", "APP_CACHE__BACKEND")
    refuse_near_misses(Settings(environment="development"), [problem])
    with pytest.raises(MisspeltSettingError, match="APP_CACHE__BAKEND"):
        refuse_near_misses(Settings(environment="production", api_key="k" * 40), [problem])


def test_a_rejected_secret_is_shown_as_stars(monkeypatch: pytest.MonkeyPatch) -> None:
    class WithSigningKey(Settings):
        signing_key: Annotated[SecretStr, Field(min_length=16)] | None = None

    monkeypatch.setenv("APP_SIGNING_KEY", "hunter2")
    with pytest.raises(ValidationError) as caught:
        WithSigningKey()
    message = explain_settings_error(caught.value, WithSigningKey)
    assert "hunter2" not in message
    assert message.startswith("APP_SIGNING_KEY=*** (from the environment): ")
