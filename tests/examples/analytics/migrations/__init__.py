"""The analytics database's schema migrations."""

NAMESPACE = "analytics"
