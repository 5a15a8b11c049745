"""The container: settings reach every service, lifecycles are ordered, overrides are safe."""

import pytest
from dependency_injector import providers

from config import Settings
from containers import Container, override_services
from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from providers.users import UserRepository
from tests.helpers import fake, plain_fake


async def test_container_has_the_designed_providers(container: Container) -> None:
    # At least these: an application adds its own services to the same container.
    assert {"settings", "database", "cache", "background", "users"} <= set(container.providers)
    for name in ("database", "cache", "background"):
        assert isinstance(container.providers[name], providers.Resource)


async def test_resources_start_and_stop_through_the_container(container: Container) -> None:
    await container.init_resources()
    database = await container.database()
    cache = await container.cache()
    assert database.is_initialized
    assert cache.is_initialized
    users = await container.users()
    assert isinstance(users, UserRepository)
    assert users.database is database  # one pool for the whole application
    await container.shutdown_resources()
    assert not database.is_initialized
    assert not cache.is_initialized
    assert not container.database.initialized


@pytest.mark.settings(database={"max_size": 2}, cache={"max_size": 3})
async def test_settings_override_reconfigures_every_service(container: Container) -> None:
    await container.init_resources()
    try:
        assert (await container.database()).get_stats()["max_size"] == 2
        cache = await container.cache()
        for number in range(5):
            await cache.set(f"k{number}", number)
        assert cache.get_stats()["entries"] == 3
    finally:
        await container.shutdown_resources()


@pytest.mark.settings(reload_mode=True)
async def test_reload_mode_from_settings_opens_nothing(container: Container) -> None:
    await container.init_resources()
    try:
        database = await container.database()
        cache = await container.cache()
        background = await container.background()
        assert database.reload_mode
        assert not database.is_initialized
        assert database.connection_count == 0
        assert not cache.is_initialized
        await background.start()
        assert not background.is_running
    finally:
        await container.shutdown_resources()


def test_bad_settings_fail_at_construction_naming_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_DATABASE__MAX_SIZE", "0")
    container = Container()
    with pytest.raises(ValueError, match=r"database\.max_size"):
        container.settings()


# -- overrides: the dependency-injector traps the container designs around -------------


async def test_plain_fake_before_start_keeps_init_awaitable_and_starts_nothing_real(
    container: Container,
) -> None:
    stand_in = plain_fake(DatabaseService)
    with override_services(
        container,
        database=stand_in,
        cache=plain_fake(CacheService),
        background=plain_fake(BackgroundService),
    ):
        result = container.init_resources()
        assert result is not None  # dependency-injector would return None here
        await result
        assert await container.database() is stand_in
        assert not container.database.initialized  # the real pool was never opened
        await container.shutdown_resources()


async def test_real_teardown_runs_after_a_plain_fake_override_is_reset(
    container: Container,
) -> None:
    with override_services(container, database=plain_fake(DatabaseService)):
        await container.database()  # would switch the provider to sync mode for good
    await container.init_resources()
    database = await container.database()
    assert isinstance(database, DatabaseService)
    assert database.is_initialized
    await container.shutdown_resources()
    assert not database.is_initialized  # the async teardown really ran


async def test_async_fake_is_awaited_like_the_real_service(container: Container) -> None:
    fake_cache = fake(CacheService)
    fake_cache.get.return_value = "from the fake"
    with override_services(container, cache=fake_cache):
        cache = await container.cache()
        assert await cache.get("key") == "from the fake"


async def test_override_after_start_restores_the_original_and_leaks_nothing(
    container: Container,
) -> None:
    await container.init_resources()
    real = await container.database()
    stand_in = plain_fake(DatabaseService)
    with override_services(container, database=stand_in):
        assert await container.database() is stand_in
    assert await container.database() is real
    with override_services(container, database=stand_in):
        await container.shutdown_resources()  # shut down while overridden ...
    assert not real.is_initialized  # ... still closes the real pool


async def test_override_is_restored_when_the_body_raises(container: Container) -> None:
    stand_in = plain_fake(DatabaseService)
    with pytest.raises(RuntimeError, match="boom"), override_services(container, database=stand_in):
        raise RuntimeError("boom")
    assert not container.database.overridden


def test_override_of_an_unknown_service_names_the_known_ones(container: Container) -> None:
    with (
        pytest.raises(ValueError, match=r"no service 'databse'.*database"),
        override_services(container, databse=plain_fake(DatabaseService)),
    ):
        pass


async def test_users_provider_can_be_overridden_directly(container: Container) -> None:
    fake_users = fake(UserRepository)
    with container.users.override(fake_users):
        assert await container.users() is fake_users


async def test_resolving_users_does_not_close_the_database(container: Container) -> None:
    # dependency-injector's Closing[...] marker would shut down every resource reachable
    # from the marked one; Wirework resolves services without it, so the pool stays open.
    await container.init_resources()
    try:
        for _ in range(3):
            await container.users()
        assert (await container.database()).is_initialized
    finally:
        await container.shutdown_resources()


def test_a_synchronous_call_of_a_service_says_to_await_it() -> None:
    """No event loop runs here: the error says what to do instead of a loop complaint."""
    container = Container()
    container.settings.override(Settings(database={"url": "sqlite:///:memory:"}))
    with pytest.raises(RuntimeError, match=r"DatabaseService is asynchronous: await its provider"):
        container.database()
    assert not container.database.initialized
