"""Wirework's container, a table: which provider builds which service from which settings.
`await container.X()` gives the service, or the fake standing in for it."""

import time
from asyncio import Task
from typing import TYPE_CHECKING, Any, Self

from dependency_injector import containers, providers

from config import Settings
from containers.discovery import DegradableResource
from containers.lifecycle import (
    LifecycleContainer,
    RequestScoped,
    ResourceType,
    declare_async_mode,
    managed,
)
from containers.settings import SettingsProvider, rebind_redefined
from providers.auth import TokenService, create_login_limiter
from providers.background import BackgroundService
from providers.cache import CacheService
from providers.cache.stores import create_cache_store
from providers.database import DatabaseService
from providers.database.migrator import WIREWORK_MIGRATIONS
from providers.users.repository import UserRepository


class Container(containers.DeclarativeContainer):
    """The application's services, each built from one section of `Settings`."""

    instance_type = LifecycleContainer

    settings = SettingsProvider(Settings)

    database = providers.Resource(
        managed,
        DatabaseService,
        url=settings.provided.database.url,
        min_size=settings.provided.database.min_size,
        max_size=settings.provided.database.max_size,
        acquire_timeout=settings.provided.database.acquire_timeout,
        connect_timeout=settings.provided.database.connect_timeout,
        query_timeout=settings.provided.database.query_timeout,
        max_inactive_connection_lifetime=settings.provided.database.max_inactive_connection_lifetime,
        migrate=settings.provided.database.migrate_on_start,
        migrations=providers.Callable(  # Wirework's users table first, then the application's
            lambda packages: (WIREWORK_MIGRATIONS, *packages), settings.provided.database.migrations
        ),
        reload_mode=settings.provided.reload_mode,
    )

    cache = DegradableResource(
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

    background = DegradableResource(  # without its lock it only skips exclusive tasks
        managed,
        BackgroundService,
        lock_url=settings.provided.task_lock_url,
        stop_timeout=settings.provided.background.stop_timeout,
        reload_mode=settings.provided.reload_mode,
    )

    # A resource rather than a factory: built once per start-up, so a request pays a lookup,
    # and rebuilt on the next start-up, so it never holds a pool that was closed.
    users = providers.Resource(managed, UserRepository, database=database)

    clock = providers.Object(time.time)
    """Wall-clock seconds since the epoch, as access tokens count time; tests move it."""

    tokens = providers.Resource(
        managed,
        TokenService,
        secret=settings.provided.auth.token_secret,
        lifetime=settings.provided.auth.token_lifetime,
        clock=clock,
    )

    login_limiter = providers.Resource(
        managed,
        create_login_limiter,
        backend=settings.provided.cache.backend,
        url=settings.provided.cache.url,
        namespace=settings.provided.cache.namespace,
        per_email=settings.provided.auth.max_failures_per_email,
        per_client=settings.provided.auth.max_failures_per_client,
        window=settings.provided.auth.failure_window,
    )

    # One transaction per request that asks for it: committed when the endpoint returns,
    # rolled back when it raises or the client leaves.
    unit_of_work = RequestScoped(DatabaseService.transaction, database)

    if TYPE_CHECKING:  # instances are LifecycleContainer: both always give a task to await

        def init_resources(self, resource_type: ResourceType = ...) -> Task[None]: ...
        def shutdown_resources(self, resource_type: ResourceType = ...) -> Task[None]: ...

    def __init_subclass__(cls, **options: Any) -> None:
        """A subclass may redefine `settings` (or any provider): inherited ones then use it."""
        super().__init_subclass__(**options)
        rebind_redefined(cls)

    def __new__(cls, **overriding_providers: Any) -> Self:
        container = super().__new__(cls, **overriding_providers)
        declare_async_mode(container)
        return container
