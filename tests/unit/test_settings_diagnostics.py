"""Settings meant but not taken: misspelt `APP_*` names and env-file lines that do not parse."""

import os
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from config.diagnostics import UnknownSetting, UnparsableLine, check_sources, setting_names

STRONG_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCD"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the variables a test sets: the suite's own APP_ENVIRONMENT=test included."""
    for name in list(os.environ):
        if name.startswith("APP_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def no_server(*args: Any, **kwargs: Any) -> None:
    """`serve` stands here for uvicorn: these tests only look at what comes before it."""


class TestUnknownNames:
    """Each unknown `APP_*` name is named, with the real setting it is closest to."""

    def test_a_misspelt_environment_is_named_with_a_suggestion(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("APP_ENVIRONEMNT", "production")
        for command in (["settings"], ["check"], ["serve"]):
            main(command, run_server=no_server)
            error = capsys.readouterr().err
            assert (
                "warning: APP_ENVIRONEMNT (in the environment) is not a setting and is ignored; "
                "did you mean APP_ENVIRONMENT?"
            ) in error, command

    def test_a_misspelt_section_in_the_env_file_is_named_with_its_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (tmp_path / ".env").write_text(
            "APP_CACHE__BACKEND=memory\nAPP_DATABSE__URL=sqlite:///x.db\n"
        )
        assert main(["settings"]) == 0
        assert (
            "APP_DATABSE__URL (in .env:2) is not a setting and is ignored; "
            "did you mean APP_DATABASE__URL?"
        ) in capsys.readouterr().err

    def test_a_name_close_to_no_setting_is_named_without_a_guess(self) -> None:
        problems = check_sources(environ={"APP_URL": "https://example.com"}, files=())
        assert problems == [UnknownSetting("APP_URL", "the environment", None)]

    def test_every_real_setting_and_other_variables_pass(self) -> None:
        environ = dict.fromkeys(setting_names(), "x")
        environ |= {"APP_ENV_FILE": "x", "APP_SECRETS_DIR": "x", "APP_TEST_REDIS_URL": "x"}
        environ |= {"app_environment": "x", "HOME": "/root"}  # names ignore case; others ignored
        assert check_sources(environ=environ, files=()) == []

    def test_production_refuses_a_near_miss(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Production would run without the value meant for it: refused before serving."""
        monkeypatch.setenv("APP_ENVIRONMENT", "production")
        monkeypatch.setenv("APP_API_KEY", STRONG_KEY)
        monkeypatch.setenv("APP_AUTH__TOKEN_SECRET", STRONG_KEY[::-1])
        monkeypatch.setenv("APP_DATBASE__MAX_SIZE", "20")
        assert main(["serve"], run_server=no_server) == 2
        error = capsys.readouterr().err
        assert "refusing to start with misspelt settings" in error
        assert (
            "APP_DATBASE__MAX_SIZE (in the environment) should be APP_DATABASE__MAX_SIZE"
        ) in error

    def test_production_only_warns_about_a_name_close_to_nothing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A platform's own APP_* variable must not stop a deployment."""
        monkeypatch.setenv("APP_ENVIRONMENT", "production")
        monkeypatch.setenv("APP_API_KEY", STRONG_KEY)
        monkeypatch.setenv("APP_AUTH__TOKEN_SECRET", STRONG_KEY[::-1])
        monkeypatch.setenv("APP_DOMAIN", "example.com")
        assert main(["serve"], run_server=no_server) == 0


def test_an_unparsable_env_line_is_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text('APP_CACHE__MAX_SIZE=10\nAPP_API_KEY "spaced key"\n')
    assert main(["settings"]) == 0
    error = capsys.readouterr().err
    assert ".env:2: cannot parse this line, so it is ignored" in error
    assert "spaced key" not in error  # the line may hold a secret: only where it is
    assert check_sources(environ={}, files=(Path(".env"),)) == [UnparsableLine(Path(".env"), 2)]


def test_an_unknown_name_after_blank_lines_is_reported_on_its_own_line() -> None:
    Path(".env").write_text("# cache\n\n\nAPP_CACHE__BAKEND=redis\n")
    [problem] = check_sources(environ={}, files=(Path(".env"),))
    assert problem == UnknownSetting("APP_CACHE__BAKEND", ".env:4", "APP_CACHE__BACKEND")
    assert problem.value == "redis"
