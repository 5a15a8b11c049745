"""The application's container with a second database, `analytics`, beside Wirework's."""

from dataclasses import dataclass

from dependency_injector import providers
from pydantic import Field

from config import DatabaseSettings, Settings
from containers import Container, SettingsProvider, managed
from providers.database import DatabaseService, Repository


class AnalyticsDatabaseSettings(DatabaseSettings):
    """`APP_ANALYTICS__URL`, `APP_ANALYTICS__MAX_SIZE`, …: a file of its own by default, so
    the section never falls back to the main database's URL."""

    url: str = Field("sqlite:///./analytics.db", description="where the analytics data lives")


class AnalyticsSettings(Settings):
    """Wirework's settings plus the `analytics` section."""

    analytics: AnalyticsDatabaseSettings = AnalyticsDatabaseSettings()


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    user_id: int | None


class EventRepository(Repository[Event]):
    """The events table, on whichever database the container hands it."""

    table = "events"
    model = Event
    columns = ("name", "user_id")
    required = ("name",)


class AnalyticsContainer(Container):
    """Wirework's services, a second `DatabaseService` with only its own schema, and the
    repository on it."""

    settings = SettingsProvider(AnalyticsSettings)

    analytics = providers.Resource(
        managed,
        DatabaseService,
        url=settings.provided.analytics.url,
        min_size=settings.provided.analytics.min_size,
        max_size=settings.provided.analytics.max_size,
        acquire_timeout=settings.provided.analytics.acquire_timeout,
        migrate=settings.provided.analytics.migrate_on_start,
        migrations=["tests.examples.analytics.migrations"],
        reload_mode=settings.provided.reload_mode,
    )

    events = providers.Resource(managed, EventRepository, database=analytics)
