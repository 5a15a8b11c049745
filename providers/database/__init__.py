"""The database: `DatabaseService` over a connection pool per driver, transactions, migrations,
and the generic `Repository` every table's repository is built from.
"""

from providers.database.pools.base import (
    CheckViolationError,
    ConstraintViolationError,
    ForeignKeyViolationError,
    NotNullViolationError,
    UniqueViolationError,
)
from providers.database.repository import Page, QueryRunner, Repository
from providers.database.service import DatabaseService, PoolTimeoutError, ServiceNotReadyError
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
    "ServiceNotReadyError",
    "Transaction",
    "TransactionAbortedError",
    "TransactionClosedError",
    "UniqueViolationError",
]
