"""`Repository[Model]`: create / get / find / update / delete / page over one table, written
once; only declared column names reach SQL, values are bound, every method takes `tx=`."""

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from providers.database.pools.base import QueryParams, QueryResult

ModelT = TypeVar("ModelT")


class QueryRunner(Protocol):
    """Where a statement runs: the `DatabaseService` (autocommit) or a transaction."""

    async def execute_query(self, sql: str, params: QueryParams = None) -> QueryResult: ...


@dataclass(frozen=True, slots=True)
class Page(Generic[ModelT]):
    """One page of a table and how many rows the whole table holds."""

    items: list[ModelT]
    total: int


class Repository(Generic[ModelT]):
    """CRUD over one table with an integer `id`: set `table`, `model` (a dataclass of its
    columns), `columns` (writable) and `required`; override `to_model` to convert a column."""

    table: ClassVar[str]
    model: ClassVar[type[Any]]
    columns: ClassVar[tuple[str, ...]]
    required: ClassVar[tuple[str, ...]] = ()
    noun: ClassVar[str] = ""  # a row's name in error messages ("unknown note field")

    def __init__(self, database: QueryRunner) -> None:
        self.database = database

    # Started and stopped by the container like any service; the database owns the connections.
    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    def to_model(self, row: Mapping[str, Any]) -> ModelT:
        """Build the model from a row (its dataclass fields, by name)."""
        model: ModelT = self.model(**{f.name: row[f.name] for f in dataclasses.fields(self.model)})
        return model

    def checked(
        self, values: Mapping[str, Any], *, required: Iterable[str] = (), key: bool = False
    ) -> dict[str, Any]:
        """The values, if every name is a writable column (or `id` with `key`) and every
        required one is set: only whitelisted names are ever put in SQL."""
        allowed = ("id", *self.columns) if key else self.columns
        what = f"{self.noun or self.table} field"
        if unknown := sorted(set(values) - set(allowed)):
            raise ValueError(
                f"unknown {what}(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
        if missing := [name for name in required if values.get(name) in (None, "")]:
            raise ValueError(f"missing {what}(s): {', '.join(missing)}")
        return dict(values)

    async def create(self, values: Mapping[str, Any], *, tx: QueryRunner | None = None) -> ModelT:
        """Insert a row from caller values; a duplicate raises `UniqueViolationError`."""
        return await self.insert_row(self.checked(values, required=self.required), tx=tx)

    async def get(self, row_id: int, *, tx: QueryRunner | None = None) -> ModelT | None:
        return await self.find(tx=tx, id=row_id)

    async def find(self, *, tx: QueryRunner | None = None, **equal: Any) -> ModelT | None:
        """The first row (by id) whose columns equal the given values, or None."""
        names = self.checked(equal, key=True)
        where = " AND ".join(f"{name} = :{name}" for name in names) or "TRUE"
        sql = f"SELECT * FROM {self.table} WHERE {where} ORDER BY id LIMIT 1"
        rows = (await (tx or self.database).execute_query(sql, names))["rows"]
        return self.to_model(rows[0]) if rows else None

    async def update(
        self, row_id: int, values: Mapping[str, Any], *, tx: QueryRunner | None = None
    ) -> ModelT | None:
        """Change the given writable columns; None when there is no such row."""
        return await self.update_row(row_id, self.checked(values), tx=tx)

    async def delete(self, row_id: int, *, tx: QueryRunner | None = None) -> bool:
        """Remove the row; False when there was none."""
        sql = f"DELETE FROM {self.table} WHERE id = :id"
        return bool((await (tx or self.database).execute_query(sql, {"id": row_id}))["affected"])

    async def items(
        self, *, limit: int = 50, offset: int = 0, tx: QueryRunner | None = None
    ) -> list[ModelT]:
        """Rows in id order, `limit` from `offset`; a negative limit or offset is a ValueError."""
        if limit < 0 or offset < 0:
            raise ValueError(
                f"limit and offset must not be negative, got limit={limit}, offset={offset}"
            )
        sql = f"SELECT * FROM {self.table} ORDER BY id LIMIT :limit OFFSET :offset"
        result = await (tx or self.database).execute_query(sql, {"limit": limit, "offset": offset})
        return [self.to_model(row) for row in result["rows"]]

    async def page(
        self, *, limit: int = 50, offset: int = 0, tx: QueryRunner | None = None
    ) -> Page[ModelT]:
        """`items(...)` with the table's row count, for an `X-Total-Count` header."""
        return Page(await self.items(limit=limit, offset=offset, tx=tx), await self.count(tx=tx))

    async def count(self, *, tx: QueryRunner | None = None) -> int:
        sql = f"SELECT COUNT(*) AS total FROM {self.table}"
        return int((await (tx or self.database).execute_query(sql))["rows"][0]["total"])

    async def insert_row(self, row: Mapping[str, Any], *, tx: QueryRunner | None = None) -> ModelT:
        """Insert trusted values (names from code, not from callers) and return the row."""
        placeholders = ", ".join(f":{name}" for name in row)
        sql = f"INSERT INTO {self.table} ({', '.join(row)}) VALUES ({placeholders}) RETURNING *"
        return self.to_model((await (tx or self.database).execute_query(sql, row))["rows"][0])

    async def update_row(
        self, row_id: int, row: Mapping[str, Any], *, tx: QueryRunner | None = None
    ) -> ModelT | None:
        """Update trusted values on one row and return it; None when it does not exist."""
        if not row:
            return await self.get(row_id, tx=tx)
        assignments = ", ".join(f"{name} = :{name}" for name in row)
        sql = f"UPDATE {self.table} SET {assignments} WHERE id = :id RETURNING *"
        rows = (await (tx or self.database).execute_query(sql, {**row, "id": row_id}))["rows"]
        return self.to_model(rows[0]) if rows else None
