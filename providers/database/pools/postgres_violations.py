"""asyncpg's constraint violations as the pools' own errors, the same as on SQLite."""

import re

import asyncpg

from providers.database.pools.base import (
    CheckViolationError,
    ConstraintViolationError,
    ForeignKeyViolationError,
    NotNullViolationError,
    UniqueViolationError,
)

_KEY_COLUMNS = re.compile(r"Key \((.*?)\)=")
_VIOLATIONS: dict[type[Exception], type[ConstraintViolationError]] = {
    asyncpg.UniqueViolationError: UniqueViolationError,
    asyncpg.ForeignKeyViolationError: ForeignKeyViolationError,
    asyncpg.CheckViolationError: CheckViolationError,
    asyncpg.NotNullViolationError: NotNullViolationError,
}
VIOLATIONS = tuple(_VIOLATIONS)
"""The asyncpg errors `constraint_violation` translates."""


def constraint_violation(error: Exception) -> ConstraintViolationError:
    """The pools' error for one of `VIOLATIONS`, naming the table, the constraint and the
    columns (from 'Key (a, b)=(…)' or the NOT NULL column), never the values."""
    violation = _VIOLATIONS[type(error)]
    match = _KEY_COLUMNS.match(getattr(error, "detail", None) or "")
    columns = tuple(name.strip() for name in match.group(1).split(",")) if match else ()
    column = getattr(error, "column_name", None)
    if violation is NotNullViolationError and column:
        columns = (column,)
    table = getattr(error, "table_name", None) or ""
    return violation(table, columns, getattr(error, "constraint_name", None) or "")
