"""Wirework's container: which provider builds which service from which settings.

Read it as a table of the application. Every service provider is in async mode, so
`await container.X()` works the same for the real service, a plain fake and an async fake.
"""

from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from config import Settings
from containers.lifecycle import LifecycleContainer
from containers.resources import managed
from providers.background import BackgroundService
from providers.cache import CacheService
from providers.cache.stores import create_cache_store
from providers.database import DatabaseService
from providers.users.repository import UserRepository

ASYNC_SERVICES = ("database", "cache", "background", "users")
"""Providers that always return awaitables, so real services and fakes are used alike."""


class Container(containers.DeclarativeContainer):
    """The application's services, each built from one section of `Settings`."""

    instance_type = LifecycleContainer

    settings = providers.Singleton(Settings)

    database = providers.Resource(
        managed,
        DatabaseService,
        url=settings.provided.database.url,
        min_size=settings.provided.database.min_size,
        max_size=settings.provided.database.max_size,
        acquire_timeout=settings.provided.database.acquire_timeout,
        max_inactive_connection_lifetime=settings.provided.database.max_inactive_connection_lifetime,
        migrate=settings.provided.database.migrate_on_start,
        migrations=settings.provided.database.migrations,
        reload_mode=settings.provided.reload_mode,
    )

    cache = providers.Resource(
        managed,
        CacheService,
        default_ttl=settings.provided.cache.default_ttl,
        reload_mode=settings.provided.reload_mode,
        store=providers.Factory(
            create_cache_store,
            backend=settings.provided.cache.backend,
            url=settings.provided.cache.url,
            namespace=settings.provided.cache.namespace,
            max_size=settings.provided.cache.max_size,
        ),
    )

    background = providers.Resource(
        managed,
        BackgroundService,
        lock_url=settings.provided.task_lock_url,
        stop_timeout=settings.provided.background.stop_timeout,
        reload_mode=settings.provided.reload_mode,
    )

    # A resource rather than a factory: built once per start-up, so a request pays a lookup,
    # and rebuilt on the next start-up, so it never holds a pool that was closed.
    users = providers.Resource(managed, UserRepository, database=database)

    if TYPE_CHECKING:  # instances are LifecycleContainer: both are always coroutines

        async def init_resources(
            self, resource_type: type[providers.BaseResource[Any]] = providers.BaseResource
        ) -> None: ...

        async def shutdown_resources(
            self, resource_type: type[providers.BaseResource[Any]] = providers.BaseResource
        ) -> None: ...

    def __new__(cls, **overriding_providers: Any) -> Any:
        container = super().__new__(cls, **overriding_providers)
        # Decided here rather than by whatever the first call returns: a plain fake
        # called first would otherwise switch a provider to sync mode for good.
        for name in ASYNC_SERVICES:
            container.providers[name].enable_async_mode()
        return container
