"""Worked examples built only from Wirework's documented pieces (see docs/extending.md)."""
