"""The notes resource's schema migrations: `NNNN_what_it_does.py`, one per change."""

NAMESPACE = "notes"
