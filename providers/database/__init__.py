"""The database: `DatabaseService` over a connection pool per driver, transactions, migrations,
and the generic `Repository` every table's repository is built from."""

from providers.database.pools.base import UniqueViolationError
from providers.database.repository import Page, QueryRunner, Repository
from providers.database.service import DatabaseService, PoolTimeoutError, ServiceNotReadyError
from providers.database.transaction import (
    Transaction,
    TransactionAbortedError,
    TransactionClosedError,
)

__all__ = [
    "DatabaseService",
    "Page",
    "PoolTimeoutError",
    "QueryRunner",
    "Repository",
    "ServiceNotReadyError",
    "Transaction",
    "TransactionAbortedError",
    "TransactionClosedError",
    "UniqueViolationError",
]
