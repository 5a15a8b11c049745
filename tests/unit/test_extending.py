"""Extending the container: services added by subclassing or nesting, settings that extend."""

from typing import Any
from unittest.mock import MagicMock

import pytest
from dependency_injector import containers, providers
from pydantic import BaseModel

from config import Settings
from containers import Container, SettingsProvider, managed
from tests.helpers import dependency_edges


class MailerSettings(BaseModel):
    """An application's own section: `APP_MAILER__HOST`."""

    host: str = "localhost"


class AppSettings(Settings):
    """Wirework's settings plus the application's section."""

    mailer: MailerSettings = MailerSettings()


class Mailer:
    """A small service with the lifecycle, ping and statistics the container looks for."""

    def __init__(self, host: str, fail_ping: bool = False) -> None:
        self.host = host
        self.fail_ping = fail_ping
        self.started = False

    async def initialize(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.started = False

    async def ping(self) -> None:
        if self.fail_ping:
            raise ConnectionError(f"no answer from {self.host}:25")

    def get_stats(self) -> dict[str, Any]:
        return {"status": "ready" if self.started else "closed", "host": self.host}


class AppContainer(Container):
    """Subclassing: the application's settings, and a service that reads them."""

    settings = SettingsProvider(AppSettings)
    mailer = providers.Resource(managed, Mailer, host=settings.provided.mailer.host)


class Infra(containers.DeclarativeContainer):
    """A container of its own, nested into the application's with `providers.Container`."""

    settings = providers.Dependency(instance_of=Settings)
    mailer = providers.Resource(managed, Mailer, host="relay.internal")


class NestedContainer(Container):
    infra = providers.Container(Infra, settings=Container.settings)


def memory_settings(settings_class: type[Settings] = AppSettings, **values: Any) -> Settings:
    values.setdefault("database", {"url": "sqlite:///:memory:"})
    return settings_class(_env_file=None, **values)


class TestSettingsSubclass:
    """A `Settings` subclass declared once reaches every provider, inherited or new."""

    async def test_every_provider_reads_the_subclass_settings_object(self) -> None:
        """Inherited `database` and new `mailer` read the same, overridden, AppSettings."""
        container = AppContainer()
        container.settings.override(
            memory_settings(
                database={"url": "sqlite:///:memory:", "max_size": 2}, mailer={"host": "smtp.test"}
            )
        )
        await container.init_resources()
        try:
            assert (await container.database()).get_stats()["max_size"] == 2
            assert (await container.mailer()).host == "smtp.test"
        finally:
            await container.shutdown_resources()

    async def test_inherited_providers_read_the_environment_through_the_subclass(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No override: the one AppSettings built from the environment serves both."""
        monkeypatch.setenv("APP_DATABASE__URL", "sqlite:///:memory:")
        monkeypatch.setenv("APP_DATABASE__MAX_SIZE", "3")
        monkeypatch.setenv("APP_MAILER__HOST", "smtp.from-env")
        container = AppContainer()
        await container.init_resources()
        try:
            assert isinstance(container.settings(), AppSettings)
            assert (await container.database()).get_stats()["max_size"] == 3
            assert (await container.mailer()).host == "smtp.from-env"
        finally:
            await container.shutdown_resources()

    async def test_a_base_settings_override_gives_the_new_sections_their_defaults(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Tests written for Wirework override with `Settings(...)`: they keep working, and the
        new sections take their defaults, not the shell's values."""
        monkeypatch.setenv("APP_MAILER__HOST", "smtp.from-env")
        container = AppContainer()
        container.settings.override(memory_settings(Settings, cache={"max_size": 7}))
        settings = container.settings()
        assert isinstance(settings, AppSettings)
        assert settings.cache.max_size == 7
        assert settings.mailer.host == "localhost"

    def test_redefining_settings_without_the_settings_provider_fails_at_class_creation(
        self,
    ) -> None:
        """Never silently ignored: the message says what to declare instead."""
        with pytest.raises(TypeError, match=r"settings = SettingsProvider\(YourSettings\)"):

            class Broken(Container):
                settings = providers.Singleton(AppSettings)  # type: ignore[assignment]

    def test_a_redefined_provider_uses_the_subclass_copies_of_the_others(self) -> None:
        """A redefined `users` naming `Container.database` gets the subclass's `database`."""

        class Rebuilt(Container):
            settings = SettingsProvider(AppSettings)
            users = providers.Resource(dict, database=Container.database)

        edges = dependency_edges(Rebuilt())
        assert edges["users"] == ("database",)
        assert [path for path in edges if path.endswith("database")] == ["database"]

    def test_the_base_container_is_untouched_by_a_subclass(self) -> None:
        """Rebinding copies the inherited providers; `Container` keeps its own."""
        assert AppContainer.database is not Container.database
        assert isinstance(Container().settings(), Settings)
        assert not isinstance(Container().settings(), AppSettings)


class TestAddedServices:
    """Services added by subclassing or nesting are started, stopped and can be faked."""

    async def test_a_subclass_service_starts_and_stops_with_the_others(self) -> None:
        container = AppContainer()
        container.settings.override(memory_settings())
        await container.init_resources()
        mailer = await container.mailer()
        assert mailer.started
        await container.shutdown_resources()
        assert not mailer.started

    async def test_a_nested_container_service_starts_and_stops_under_its_path(self) -> None:
        container = NestedContainer()
        container.settings.override(memory_settings(Settings))
        assert "infra.mailer" in dependency_edges(container)
        await container.init_resources()
        mailer = await container.infra.mailer()
        assert mailer.started
        await container.shutdown_resources()
        assert not mailer.started

    @pytest.mark.parametrize(
        ("container_class", "path"),
        [
            (AppContainer, "mailer"),  # added by subclassing, reads the Settings subclass
            (NestedContainer, "infra.mailer"),  # nested with providers.Container
            (AppContainer, "database"),  # inherited, rebound to the Settings subclass
        ],
    )
    async def test_a_magicmock_before_start_up_stands_in_and_nothing_real_starts(
        self, container_class: type[Container], path: str
    ) -> None:
        """Each kind of added or rebound service is faked the same way, before start-up."""
        container = container_class()
        container.settings.override(memory_settings(Settings))
        provider = container.infra.mailer if path == "infra.mailer" else getattr(container, path)
        fake = MagicMock()
        with provider.override(fake):
            await container.init_resources()
            try:
                assert await provider() is fake
                assert not provider.initialized
            finally:
                await container.shutdown_resources()
