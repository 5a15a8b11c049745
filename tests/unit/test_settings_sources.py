"""Where settings come from: `.env` then `.env.{environment}`, `APP_ENV_FILE`, a secrets folder."""

from pathlib import Path

import pytest
from pydantic_settings import SettingsError

from config import Settings


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of secret files, as Docker or Kubernetes mount them, named by APP_SECRETS_DIR."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    monkeypatch.setenv("APP_SECRETS_DIR", str(folder))
    return folder


class TestEnvFiles:
    """`.env` holds what every environment shares; `.env.{environment}` overrides it."""

    def test_the_environment_file_overrides_the_shared_one(self, tmp_path: Path) -> None:
        (tmp_path / ".env").write_text("APP_CACHE__MAX_SIZE=5\nAPP_CACHE__DEFAULT_TTL=9\n")
        (tmp_path / ".env.test").write_text("APP_CACHE__MAX_SIZE=7\n")
        (tmp_path / ".env.production").write_text("APP_CACHE__MAX_SIZE=1000\n")
        settings = Settings()  # the suite runs with APP_ENVIRONMENT=test
        assert settings.cache.max_size == 7
        assert settings.cache.default_ttl == 9

    def test_the_environment_may_come_from_the_shared_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("APP_ENVIRONMENT")
        (tmp_path / ".env").write_text("APP_ENVIRONMENT=development\n")
        (tmp_path / ".env.development").write_text("APP_CACHE__MAX_SIZE=3\n")
        assert Settings().cache.max_size == 3

    def test_the_process_environment_wins_over_every_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / ".env.test").write_text("APP_CACHE__MAX_SIZE=7\n")
        monkeypatch.setenv("APP_CACHE__MAX_SIZE", "11")
        assert Settings().cache.max_size == 11

    def test_app_env_file_replaces_the_default_pair(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / ".env").write_text("APP_CACHE__MAX_SIZE=5\n")
        (tmp_path / "base.env").write_text("APP_CACHE__MAX_SIZE=20\nAPP_CACHE__DEFAULT_TTL=4\n")
        (tmp_path / "site.env").write_text("APP_CACHE__MAX_SIZE=21\n")
        monkeypatch.setenv("APP_ENV_FILE", f"base.env:{tmp_path / 'site.env'}")
        settings = Settings()
        assert (settings.cache.max_size, settings.cache.default_ttl) == (21, 4)

    def test_an_explicit_env_file_argument_is_kept(self, tmp_path: Path) -> None:
        (tmp_path / ".env.test").write_text("APP_CACHE__MAX_SIZE=7\n")
        assert Settings(_env_file=None).cache.max_size == 10_000


class TestSecretsFolder:
    """Files named like the settings; the environment and env files still win over them."""

    def test_secret_files_fill_top_level_and_nested_settings(self, secrets: Path) -> None:
        (secrets / "APP_API_KEY").write_text("from-a-file\n")
        (secrets / "APP_DATABASE__URL").write_text("postgresql://app:pa55@db:5432/app")
        settings = Settings()
        assert settings.api_key is not None
        assert settings.api_key.get_secret_value() == "from-a-file"
        assert settings.database.url == "postgresql://app:pa55@db:5432/app"

    def test_the_environment_wins_over_a_secret_file(
        self, secrets: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (secrets / "APP_CACHE__NAMESPACE").write_text("from-file")
        monkeypatch.setenv("APP_CACHE__NAMESPACE", "from-env")
        assert Settings().cache.namespace == "from-env"

    def test_a_named_folder_that_is_missing_is_an_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("APP_SECRETS_DIR", str(tmp_path / "not-mounted"))
        with pytest.raises(SettingsError, match="not-mounted"):
            Settings()


def test_repr_never_shows_a_password_inside_a_url() -> None:
    settings = Settings(
        _env_file=None,
        api_key="k" * 40,
        database={"url": "postgresql://app:pa55@db:5432/app"},
        cache={"backend": "redis", "url": "redis://:hunter2@cache:6379/0"},
        background={"lock_url": "postgresql://locker:s3cret@db/locks?sslpassword=x9"},
    )
    for shown in (repr(settings), str(settings), repr(settings.database)):
        for secret in ("pa55", "hunter2", "s3cret", "x9", "k" * 40):
            assert secret not in shown
    assert "postgresql://app:***@db:5432/app" in repr(settings)
    assert settings.database.url == "postgresql://app:pa55@db:5432/app"  # the value is intact
