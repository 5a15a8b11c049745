"""Schema migrations: ordered, recorded, applied once, safe when instances start together."""

import asyncio
from pathlib import Path

import pytest

from providers.database import DatabaseService
from providers.database.migrations import MIGRATIONS, Migration, apply_migrations


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database per test, on SQLite (a file) and on PostgreSQL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/migrations.db"


async def _ledger(service: DatabaseService) -> list[int]:
    rows = await service.execute_query("SELECT version FROM schema_migrations ORDER BY version")
    return [row["version"] for row in rows["rows"]]


async def test_start_up_applies_every_migration_once(database_url: str) -> None:
    first = DatabaseService(database_url)
    await first.initialize()
    assert await _ledger(first) == [m.version for m in MIGRATIONS]
    assert await first.migrate() == []  # nothing left to do
    await first.close()

    again = DatabaseService(database_url)
    await again.initialize()
    try:
        assert await _ledger(again) == [m.version for m in MIGRATIONS]
    finally:
        await again.close()


async def test_instances_starting_together_apply_each_migration_once(database_url: str) -> None:
    services = [DatabaseService(database_url, max_size=2) for _ in range(5)]
    await asyncio.gather(*(service.initialize() for service in services))
    try:
        assert await _ledger(services[0]) == [m.version for m in MIGRATIONS]
    finally:
        await asyncio.gather(*(service.close() for service in services))


async def test_migrations_can_be_turned_off(database_url: str) -> None:
    service = DatabaseService(database_url, migrate=False)
    await service.initialize()
    try:
        with pytest.raises(Exception, match=r"users|schema_migrations"):
            await service.execute_query("SELECT * FROM users")
        assert await service.migrate() == [m.version for m in MIGRATIONS]
        assert (await service.execute_query("SELECT COUNT(*) AS n FROM users"))["rows"] == [
            {"n": 0}
        ]
    finally:
        await service.close()


async def test_a_failing_migration_changes_nothing(database_url: str) -> None:
    service = DatabaseService(database_url, migrate=False)
    await service.initialize()
    broken = (
        Migration(
            1,
            "fine",
            {
                "sqlite": ("CREATE TABLE a (x INTEGER)",),
                "postgresql": ("CREATE TABLE a (x INTEGER)",),
            },
        ),
        Migration(
            2,
            "broken",
            {"sqlite": ("CREATE TABLE oops (",), "postgresql": ("CREATE TABLE oops (",)},
        ),
    )
    try:
        async with service.get_connection_context() as connection:
            with pytest.raises(Exception, match=r"syntax|incomplete"):
                await apply_migrations(connection, service.dialect, broken)
        with pytest.raises(Exception, match=r"schema_migrations|no such table|does not exist"):
            await _ledger(service)
    finally:
        await service.close()
