"""What asyncpg's errors mean to the pool: a lost link, a server that cannot serve, a
constraint violation, a failed start; and a log filter that keeps asyncpg's refill errors short."""

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from providers.database.pools.base import ConstraintViolationError, NotNullViolationError
from providers.errors import ServiceStartError
from providers.urls import redacted_url

# What asyncpg raises when the server side of a connection went away mid-use.
LINK_ERRORS = (
    asyncpg.exceptions.InternalClientError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    OSError,
)
# What the server says when it cannot serve at all: starting up, shutting down, crashed
# (class 57), or a connection it cannot make or keep (class 08).
SERVER_DOWN = (asyncpg.exceptions.OperatorInterventionError, asyncpg.PostgresConnectionError)
VIOLATIONS = asyncpg.IntegrityConstraintViolationError  # SQLSTATE class 23
# asyncpg names the kinds as Wirework does; the others (restrict, exclusion) get the base class.
_KINDS = {kind.__name__: kind for kind in ConstraintViolationError.__subclasses__()}
_KEY_COLUMNS = re.compile(r"Key \((.*?)\)=")


def constraint_violation(error: Any) -> ConstraintViolationError:
    """The pools' error for one of `VIOLATIONS`, naming the table, the constraint and the
    columns (from 'Key (a, b)=(…)' or the NOT NULL column), never the values."""
    violation = _KINDS.get(type(error).__name__, ConstraintViolationError)
    match = _KEY_COLUMNS.match(error.detail or "")
    columns = tuple(name.strip() for name in match.group(1).split(",")) if match else ()
    if violation is NotNullViolationError and error.column_name:
        columns = (error.column_name,)
    return violation(error.table_name or "", columns, error.constraint_name or "")


def start_error(url: str, error: Exception) -> ServiceStartError:
    """What a failed first connection to `url` means, and the likely fix."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    database = parts.path.lstrip("/") or parts.username or "postgres"
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        hint = (
            f"create the database first: createdb -h {host} -p {port} "
            f"-U {parts.username or 'postgres'} {database} (or CREATE DATABASE in psql)"
        )
    elif isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        hint = "check the user name and password in the URL, and the server's pg_hba.conf"
    elif isinstance(error, OSError):
        hint = f"nothing answers at {host}:{port}: start PostgreSQL, or correct the host and port"
    else:
        hint = "check the URL, and that the server accepts connections from this host"
    cause = str(error) or type(error).__name__  # a connect timeout has no message
    message = f"cannot connect to PostgreSQL at {redacted_url(url)}: {cause}"
    return ServiceStartError(message, hint=hint)


def _cause_only(record: logging.LogRecord) -> bool:
    """asyncpg logs each failed refill of its pool with a traceback, a wall of them while the
    server is down: the cause on the same line is what an operator needs."""
    error = record.exc_info[1] if record.exc_info else None
    if error is not None:
        cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        record.msg = f"{record.getMessage()}: {cause}"
        record.args, record.exc_info, record.exc_text = (), None, None
    return True


logging.getLogger("asyncpg.pool").addFilter(_cause_only)
