"""Apply schema migrations from packages, each once, in order: in one transaction under a
lock, so instances starting together apply each once and a failing one leaves no trace."""

import importlib
import logging
import pkgutil
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from providers.database.transaction import Transaction

logger = logging.getLogger(__name__)

WIREWORK_MIGRATIONS = "providers.database.migrations"
ADVISORY_LOCK_KEY = 0x57495245  # "WIRE": the key every Wirework instance locks on

_MODULE_NAME = re.compile(r"^(\d+)_\w+$")
_DIALECT_ATTRIBUTES = {"sqlite": "SQLITE", "postgresql": "POSTGRESQL"}


@dataclass(frozen=True)
class Migration:
    """One schema change, written once per dialect; the ledger records it by its package's
    namespace and its version."""

    namespace: str
    version: int
    name: str
    statements: dict[str, tuple[str, ...]]


def load_migrations(package: str) -> list[Migration]:
    """Read every `NNNN_name` module of a package, in version order, under the package's
    `NAMESPACE` (else its import name)."""
    try:
        root = importlib.import_module(package)
    except ImportError as error:
        raise ValueError(f"migration package {package!r} cannot be imported: {error}") from error
    namespace = str(getattr(root, "NAMESPACE", package))
    found: dict[int, Migration] = {}
    for module_info in pkgutil.iter_modules(getattr(root, "__path__", [])):
        if (match := _MODULE_NAME.match(module_info.name)) is None:
            continue
        module = importlib.import_module(f"{package}.{module_info.name}")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"migration package {package!r} has two migrations numbered {version}")
        statements = {}
        for dialect, attribute in _DIALECT_ATTRIBUTES.items():
            if not (value := getattr(module, attribute, None)):
                raise ValueError(
                    f"migration {module.__name__} has no {attribute}: write the change for "
                    f"every dialect ({', '.join(_DIALECT_ATTRIBUTES.values())})"
                )
            statements[dialect] = (value,) if isinstance(value, str) else tuple(value)
        name = (module.__doc__ or module_info.name).strip().splitlines()[0].rstrip(".")
        found[version] = Migration(namespace, version, name, statements)
    return [found[version] for version in sorted(found)]


_LEDGER_COLUMNS = {
    "sqlite": "SELECT name FROM pragma_table_info('schema_migrations')",
    "postgresql": "SELECT column_name AS name FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
}
_CREATE_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (namespace, version)
)"""
_UPGRADE_LEDGER = (
    # The first ledger had no namespace: every row in it is one of Wirework's migrations.
    "ALTER TABLE schema_migrations RENAME TO schema_migrations_before_namespaces",
    _CREATE_LEDGER,
    "INSERT INTO schema_migrations (namespace, version, name, applied_at)"
    " SELECT 'wirework', version, name, applied_at FROM schema_migrations_before_namespaces",
    "DROP TABLE schema_migrations_before_namespaces",
)
_RECORD = (
    "INSERT INTO schema_migrations (namespace, version, name, applied_at)"
    " VALUES (:namespace, :version, :name, :applied_at)"
)


async def apply_migrations(
    tx: Transaction, dialect: str, migrations: Sequence[Migration]
) -> list[str]:
    """Apply every migration not yet recorded, in the open transaction `tx`; return what was
    applied now ('wirework:1')."""
    if dialect == "postgresql":
        await tx.execute_query("SELECT pg_advisory_xact_lock(:key)", {"key": ADVISORY_LOCK_KEY})
    ledger = (await tx.execute_query(_LEDGER_COLUMNS[dialect]))["rows"]
    if ledger and "namespace" not in {row["name"] for row in ledger}:
        for statement in _UPGRADE_LEDGER:
            await tx.execute_query(statement)
    else:
        await tx.execute_query(_CREATE_LEDGER)
    rows = await tx.execute_query("SELECT namespace, version FROM schema_migrations")
    done = {f"{row['namespace']}:{row['version']}" for row in rows["rows"]}
    applied = []
    for migration in migrations:
        if (label := f"{migration.namespace}:{migration.version}") in done:
            continue
        for statement in migration.statements[dialect]:
            await tx.execute_query(statement)
        record = {"namespace": migration.namespace, "version": migration.version}
        await tx.execute_query(
            _RECORD, {**record, "name": migration.name, "applied_at": time.time()}
        )
        applied.append(label)
    if applied:
        logger.info("applied schema migrations %s", applied)
    return applied
