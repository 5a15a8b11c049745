"""A second database: its own settings section, its own migrations, a repository on it, and
both databases in readiness, statistics and the status page (docs/extending.md)."""

from pathlib import Path

import httpx
import pytest

from app.testing import isolated_settings
from config import Settings
from providers.database import DatabaseService
from tests.examples.analytics.container import (
    AnalyticsContainer,
    AnalyticsSettings,
    Event,
    EventRepository,
)

TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT table_name AS name FROM information_schema.tables"
    " WHERE table_schema = current_schema()",
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, second_database_url: str) -> Settings:
    return isolated_settings(
        tmp_path,
        AnalyticsSettings,
        database={"url": database_url},
        analytics={"url": second_database_url},
    )


@pytest.fixture
def container(settings: Settings) -> AnalyticsContainer:
    container = AnalyticsContainer()
    container.settings.override(settings)
    return container


async def _tables(database: DatabaseService) -> set[str]:
    rows = (await database.execute_query(TABLES[database.dialect]))["rows"]
    return {row["name"] for row in rows}


async def test_each_database_has_only_its_own_tables(
    client: httpx.AsyncClient, container: AnalyticsContainer
) -> None:
    main, analytics = await container.database(), await container.analytics()
    assert analytics is not main
    assert await _tables(analytics) == {"events", "schema_migrations"}
    assert await _tables(main) == {"users", "schema_migrations"}
    assert await analytics.execute_query("SELECT namespace FROM schema_migrations") == {
        "rows": [{"namespace": "analytics"}],
        "affected": 0,
    }


async def test_a_repository_on_the_second_database(
    client: httpx.AsyncClient, container: AnalyticsContainer
) -> None:
    events: EventRepository = await container.events()
    created = await events.create({"name": "signed_in", "user_id": 1})
    assert await events.get(created.id) == Event(created.id, "signed_in", 1)
    main = await container.database()
    assert (await main.execute_query("SELECT COUNT(*) AS n FROM users"))["rows"] == [{"n": 0}]


async def test_both_databases_are_ready_counted_and_shown(client: httpx.AsyncClient) -> None:
    ready = await client.get("/api/ready")
    assert ready.status_code == 200
    assert {"database", "analytics"} <= set(ready.json()["checks"])
    stats = (await client.get("/api/stats")).json()
    assert stats["analytics"]["status"] == stats["database"]["status"] == "initialized"
    page = (await client.get("/status")).text
    assert 'data-service="database" data-state="ok"' in page
    assert 'data-service="analytics" data-state="ok"' in page


def test_the_section_defaults_to_a_file_of_its_own() -> None:
    """Reusing `DatabaseSettings` unchanged would point the second pool at the main file."""
    settings = AnalyticsSettings()
    assert settings.analytics.url != settings.database.url
