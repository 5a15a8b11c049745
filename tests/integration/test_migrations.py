"""Schema migrations: ordered, recorded, applied once, safe when instances start together."""

import asyncio
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.database import DatabaseService
from providers.database.migrator import (
    WIREWORK_MIGRATIONS,
    Migration,
    apply_migrations,
    load_migrations,
)

WIREWORK = [f"wirework:{m.version}" for m in load_migrations(WIREWORK_MIGRATIONS)]


@pytest.fixture
def app_migrations(tmp_path: Path) -> Iterator[str]:
    """An application's own migration package, numbered from 1 like Wirework's."""
    package = tmp_path / "shop_migrations"
    package.mkdir()
    (package / "__init__.py").write_text('NAMESPACE = "shop"\n')
    (package / "0001_create_orders.py").write_text(
        textwrap.dedent('''
            """Create orders."""
            SQLITE = "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)"
            POSTGRESQL = "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, total INTEGER NOT NULL)"
        ''')
    )
    (package / "0002_index_orders.py").write_text(
        textwrap.dedent('''
            """Index orders by total."""
            SQLITE = POSTGRESQL = ("CREATE INDEX orders_total ON orders (total)",)
        ''')
    )
    sys.path.insert(0, str(tmp_path))
    yield "shop_migrations"
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("shop_migrations")]:
        del sys.modules[name]


async def _ledger(service: DatabaseService) -> list[str]:
    rows = await service.execute_query(
        "SELECT namespace, version FROM schema_migrations ORDER BY namespace DESC, version"
    )
    return [f"{row['namespace']}:{row['version']}" for row in rows["rows"]]


async def test_start_up_applies_every_migration_once(database_url: str) -> None:
    first = DatabaseService(database_url)
    await first.initialize()
    assert await _ledger(first) == WIREWORK
    assert await first.migrate() == []  # nothing left to do
    await first.close()

    again = DatabaseService(database_url)
    await again.initialize()
    try:
        assert await _ledger(again) == WIREWORK
    finally:
        await again.close()


async def test_instances_starting_together_apply_each_migration_once(database_url: str) -> None:
    services = [DatabaseService(database_url, max_size=2) for _ in range(5)]
    await asyncio.gather(*(service.initialize() for service in services))
    try:
        assert await _ledger(services[0]) == WIREWORK
    finally:
        await asyncio.gather(*(service.close() for service in services))


async def test_an_application_adds_its_own_migrations(
    database_url: str, app_migrations: str
) -> None:
    """Its package numbers from 1 too; the ledger keeps the two apart by namespace."""
    service = DatabaseService(database_url, migrations=[WIREWORK_MIGRATIONS, app_migrations])
    await service.initialize()
    try:
        assert await _ledger(service) == [*WIREWORK, "shop:1", "shop:2"]
        await service.execute_query("INSERT INTO orders (total) VALUES (:t)", {"t": 5})
        assert await service.migrate() == []
    finally:
        await service.close()


async def test_a_ledger_from_before_namespaces_is_upgraded(database_url: str) -> None:
    """Databases created by the first ledger keep their history: nothing is applied twice."""
    service = DatabaseService(database_url, migrate=False)
    await service.initialize()
    try:
        await service.execute_query(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at DOUBLE PRECISION NOT NULL)"
        )
        await service.execute_query(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT,"
            " password_hash TEXT, is_active BOOLEAN, created_at REAL, updated_at REAL)"
        )
        await service.execute_query("INSERT INTO schema_migrations VALUES (1, 'create users', 0)")
        assert await service.migrate() == ["wirework:2"]
        assert await _ledger(service) == ["wirework:1", "wirework:2"]
    finally:
        await service.close()


async def test_migrations_can_be_turned_off(database_url: str) -> None:
    service = DatabaseService(database_url, migrate=False)
    await service.initialize()
    try:
        with pytest.raises(Exception, match=r"users|schema_migrations"):
            await service.execute_query("SELECT * FROM users")
        assert await service.migrate() == WIREWORK
        assert (await service.execute_query("SELECT COUNT(*) AS n FROM users"))["rows"] == [
            {"n": 0}
        ]
    finally:
        await service.close()


async def test_a_failing_migration_changes_nothing(database_url: str) -> None:
    service = DatabaseService(database_url, migrate=False)
    await service.initialize()
    table = {
        "sqlite": ("CREATE TABLE a (x INTEGER)",),
        "postgresql": ("CREATE TABLE a (x INTEGER)",),
    }
    broken = {"sqlite": ("CREATE TABLE oops (",), "postgresql": ("CREATE TABLE oops (",)}
    migrations = [Migration("test", 1, "fine", table), Migration("test", 2, "broken", broken)]
    try:
        with pytest.raises(Exception, match=r"syntax|incomplete"):
            async with service.transaction() as tx:
                await apply_migrations(tx, service.dialect, migrations)
        with pytest.raises(Exception, match=r"schema_migrations|no such table|does not exist"):
            await _ledger(service)
    finally:
        await service.close()


def test_a_package_missing_a_dialect_is_refused(tmp_path: Path) -> None:
    package = tmp_path / "half_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_only_sqlite.py").write_text('SQLITE = "CREATE TABLE t (x INTEGER)"\n')
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ValueError, match=r"0001_only_sqlite has no POSTGRESQL"):
            load_migrations("half_migrations")
        with pytest.raises(ValueError, match=r"'no_such_migrations' cannot be imported"):
            load_migrations("no_such_migrations")
    finally:
        sys.path.remove(str(tmp_path))
