"""Wirework's own schema migrations: one module per change, `NNNN_what_it_does.py`, whose
docstring names the change and whose `SQLITE` and `POSTGRESQL` hold its statement(s)."""

NAMESPACE = "wirework"  # the ledger's name for these, apart from an application's
