"""Wirework's own schema migrations: one module per change, `NNNN_what_it_does.py`.

Each module's docstring names the change; `SQLITE` and `POSTGRESQL` hold its statement
(or a tuple of statements) for each dialect. An application keeps its migrations in a
package of its own, laid out the same way, and lists it in `database.migrations`.
"""

NAMESPACE = "wirework"
"""The ledger records these migrations under this name, apart from an application's."""
