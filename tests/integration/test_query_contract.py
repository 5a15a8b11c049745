"""One statement contract for both dialects: every statement returns its rows and its count.

The pool must not guess from the first word whether a statement returns rows: a CTE, a
leading comment or `VALUES` are reads, a CTE can write, and DDL returns nothing.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from providers.database import DatabaseService


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DatabaseService]:
    """A fresh database on a SQLite file, then on PostgreSQL."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/contract.db"
    service = DatabaseService(url, migrate=False)
    await service.initialize()
    yield service
    await service.close()


CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = [
    (
        "ddl",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
        None,
        {"rows": [], "affected": 0},
    ),
    (
        "insert",
        "INSERT INTO items (id, n) VALUES (1, 10), (2, 20)",
        None,
        {"rows": [], "affected": 2},
    ),
    (
        "insert returning",
        "INSERT INTO items (id, n) VALUES (:id, :n) RETURNING id, n",
        {"id": 3, "n": 30},
        {"rows": [{"id": 3, "n": 30}], "affected": 1},
    ),
    (
        "cte select",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        None,
        {"rows": [{"x": 1}], "affected": 0},
    ),
    ("line comment", "-- comment\nSELECT 2 AS two", None, {"rows": [{"two": 2}], "affected": 0}),
    ("block comment", "/* c */ SELECT 3 AS three", None, {"rows": [{"three": 3}], "affected": 0}),
    ("values", "VALUES (7)", None, {"rows": [{"column1": 7}], "affected": 0}),
    (
        "select",
        "SELECT n FROM items WHERE id = :id",
        {"id": 1},
        {"rows": [{"n": 10}], "affected": 0},
    ),
    (
        "cte insert returning",
        "WITH new AS (SELECT 4 AS id, 40 AS n) INSERT INTO items (id, n) SELECT id, n FROM new"
        " RETURNING n",
        None,
        {"rows": [{"n": 40}], "affected": 1},
    ),
    (
        "cte insert",
        "WITH new AS (SELECT 5 AS id, 50 AS n) INSERT INTO items (id, n) SELECT id, n FROM new",
        None,
        {"rows": [], "affected": 1},
    ),
    (
        "update",
        "UPDATE items SET n = n + 1 WHERE id <= :id",
        {"id": 2},
        {"rows": [], "affected": 2},
    ),
    (
        "commented update returning",
        "/* bump */ UPDATE items SET n = n + 1 WHERE id = 3 RETURNING n",
        None,
        {"rows": [{"n": 31}], "affected": 1},
    ),
    ("empty select", "SELECT n FROM items WHERE id = -1", None, {"rows": [], "affected": 0}),
    (
        "delete",
        "-- purge\nDELETE FROM items WHERE id >= :id",
        {"id": 4},
        {"rows": [], "affected": 2},
    ),
    (
        "delete returning",
        "DELETE FROM items WHERE id = 3 RETURNING id",
        None,
        {"rows": [{"id": 3}], "affected": 1},
    ),
    ("count", "SELECT COUNT(*) AS total FROM items", None, {"rows": [{"total": 2}], "affected": 0}),
    ("drop", "DROP TABLE items", None, {"rows": [], "affected": 0}),
]


async def test_every_statement_shape_returns_its_rows_and_count(database: DatabaseService) -> None:
    """Each case runs in order on one database and gives the same result on both dialects."""
    outcomes = {name: await database.execute_query(sql, params) for name, sql, params, _ in CASES}
    assert outcomes == {name: expected for name, _, _, expected in CASES}


async def test_a_transaction_gives_the_same_results(database: DatabaseService) -> None:
    """`tx.execute_query` has the shape of `execute_query`, statement for statement."""
    async with database.transaction() as tx:
        outcomes = {name: await tx.execute_query(sql, params) for name, sql, params, _ in CASES}
    assert outcomes == {name: expected for name, _, _, expected in CASES}
