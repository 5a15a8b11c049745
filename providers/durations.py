"""Durations handed to services: one check and one message, wherever they come from."""

import math


def positive_seconds(name: str, value: float, *, infinite: bool = False) -> float:
    """Return `value` if it is a positive number of seconds, finite unless `infinite` is set.

    Raises `ValueError` naming `name` otherwise; `not value > 0` also rejects NaN.
    """
    if not value > 0 or (math.isinf(value) and not infinite):
        kind = "positive" if infinite else "positive finite"
        raise ValueError(f"{name} must be a {kind} number of seconds, got {value!r}")
    return value


def milliseconds(seconds: float) -> int:
    """`seconds` in whole milliseconds, rounded up so an expiry or a lease never ends early."""
    return max(1, math.ceil(seconds * 1000))
