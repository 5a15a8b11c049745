"""Durations: one check, and whole milliseconds that never end early."""

import math

import pytest

from providers.durations import milliseconds, positive_seconds


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(60, 60_000), (0.0014, 2), (1e-9, 1), (0.1 + 0.2, 300)],
)
def test_milliseconds_round_up_past_float_error(seconds: float, expected: int) -> None:
    assert milliseconds(seconds) == expected


@pytest.mark.parametrize(("value", "infinite"), [(0, False), (-1, True), (math.nan, True)])
def test_a_duration_must_be_positive(value: float, infinite: bool) -> None:
    with pytest.raises(ValueError, match="window must be a positive"):
        positive_seconds("window", value, infinite=infinite)


def test_infinity_only_where_allowed() -> None:
    assert positive_seconds("ttl", math.inf, infinite=True) == math.inf
    with pytest.raises(ValueError, match="ttl must be a positive finite number of seconds"):
        positive_seconds("ttl", math.inf)
