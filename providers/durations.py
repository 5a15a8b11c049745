"""Durations handed to services: one check, one message and one conversion to milliseconds."""

import math


def positive_seconds(name: str, value: float, *, infinite: bool = False) -> float:
    """Return `value` if it is a positive number of seconds, finite unless `infinite` is set;
    else raise `ValueError` naming `name` (`not value > 0` also rejects NaN)."""
    if not value > 0 or (math.isinf(value) and not infinite):
        kind = "positive" if infinite else "positive finite"
        raise ValueError(f"{name} must be a {kind} number of seconds, got {value!r}")
    return value


def milliseconds(seconds: float) -> int:
    """`seconds` in whole milliseconds, at least one, rounded up past a float's rounding error
    so an expiry, a lease or a timer never ends early."""
    return max(1, math.ceil(seconds * 1000 - 1e-6))
