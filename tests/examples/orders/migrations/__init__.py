"""The orders resource's schema migrations."""

NAMESPACE = "orders"
