"""The database: `DatabaseService` over a pool per driver, transactions, migrations, and the
generic `Repository` every table's repository is built from."""

from providers.database.pools.base import (
    CheckViolationError,
    ConstraintViolationError,
    ForeignKeyViolationError,
    NotNullViolationError,
    PoolTimeoutError,
    UniqueViolationError,
)
from providers.database.repository import Page, QueryRunner, Repository
from providers.database.service import DatabaseService
from providers.database.transaction import (
    Transaction,
    TransactionAbortedError,
    TransactionClosedError,
)

__all__ = [
    "CheckViolationError",
    "ConstraintViolationError",
    "DatabaseService",
    "ForeignKeyViolationError",
    "NotNullViolationError",
    "Page",
    "PoolTimeoutError",
    "QueryRunner",
    "Repository",
    "Transaction",
    "TransactionAbortedError",
    "TransactionClosedError",
    "UniqueViolationError",
]
