"""A foreign-key, check or not-null violation is a typed error on both pools, and the API
answers it with 409 or 422 and a sentence naming the constraint, never a 500."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI

from app.dependencies import Inject
from app.testing import isolated_settings
from config import Settings
from containers import Container
from providers.database import (
    CheckViolationError,
    ConstraintViolationError,
    DatabaseService,
    ForeignKeyViolationError,
    NotNullViolationError,
    UniqueViolationError,
)

MIGRATIONS = "tests.examples.orders.migrations"
ORDER = "INSERT INTO orders (customer, total) VALUES (:customer, :total) RETURNING id"
LINE = "INSERT INTO order_lines (order_id, item, quantity) VALUES (:order_id, :item, :quantity)"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[DatabaseService]:
    service = DatabaseService(database_url, migrations=[MIGRATIONS])
    await service.initialize()
    yield service
    await service.close()


async def _order(database: DatabaseService) -> int:
    rows = (await database.execute_query(ORDER, {"customer": "ada", "total": 5}))["rows"]
    return int(rows[0]["id"])


async def test_a_missing_parent_row_is_a_foreign_key_violation(database: DatabaseService) -> None:
    line = {"order_id": 404, "item": "secret item", "quantity": 1}
    with pytest.raises(ForeignKeyViolationError, match="foreign key") as caught:
        await database.execute_query(LINE, line)
    assert "secret" not in str(caught.value)
    if database.dialect == "postgresql":  # SQLite does not say which key
        assert (caught.value.table, caught.value.columns) == ("order_lines", ("order_id",))


async def test_deleting_a_row_still_referred_to_is_a_foreign_key_violation(
    database: DatabaseService,
) -> None:
    order = await _order(database)
    await database.execute_query(LINE, {"order_id": order, "item": "tea", "quantity": 1})
    with pytest.raises(ForeignKeyViolationError):
        await database.execute_query("DELETE FROM orders WHERE id = :id", {"id": order})


async def test_a_failed_check_names_the_constraint(database: DatabaseService) -> None:
    with pytest.raises(CheckViolationError, match="positive_total") as caught:
        await database.execute_query(ORDER, {"customer": "ada", "total": -7})
    assert caught.value.constraint == "positive_total"
    assert "-7" not in str(caught.value)


async def test_a_missing_required_value_names_the_column(database: DatabaseService) -> None:
    with pytest.raises(NotNullViolationError, match=r"orders\(customer\) is required"):
        await database.execute_query(ORDER, {"customer": None, "total": 5})


async def test_every_violation_is_a_constraint_violation(database: DatabaseService) -> None:
    """One `except ConstraintViolationError` catches them all, the unique one included."""
    await database.execute_query("CREATE TABLE codes (code TEXT UNIQUE)")
    await database.execute_query("INSERT INTO codes (code) VALUES ('a')")
    with pytest.raises(UniqueViolationError) as caught:
        await database.execute_query("INSERT INTO codes (code) VALUES ('a')")
    assert isinstance(caught.value, ConstraintViolationError)


# --- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return isolated_settings(tmp_path, database={"url": database_url, "migrations": [MIGRATIONS]})


Database = Annotated[DatabaseService, Inject(Container.database)]


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    """Wirework's app plus one endpoint that runs the statement it is given, unchecked."""

    @app.post("/api/raw-order-line")
    async def raw_order_line(line: dict[str, object], database: Database) -> None:
        await database.execute_query(LINE, line)

    @app.post("/api/raw-order")
    async def raw_order(order: dict[str, object], database: Database) -> None:
        await database.execute_query(ORDER, order)

    return app


VIOLATIONS = {
    "foreign key": ("/api/raw-order-line", {"order_id": 9, "item": "x", "quantity": 1}),
    "check": ("/api/raw-order", {"customer": "ada", "total": 0}),
    "not null": ("/api/raw-order", {"customer": None, "total": 1}),
}
ANSWERS = {
    "foreign key": (409, "foreign_key_violation", "foreign key"),
    "check": (422, "check_violation", "positive_total"),
    "not null": (422, "not_null_violation", "orders(customer) is required"),
}


@pytest.mark.parametrize("violation", VIOLATIONS)
async def test_the_api_answers_a_violation_with_its_status_and_a_sentence(
    client: httpx.AsyncClient, violation: str
) -> None:
    path, body = VIOLATIONS[violation]
    status, code, says = ANSWERS[violation]
    response = await client.post(path, json=body)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert says in response.json()["detail"]
