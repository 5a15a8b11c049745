"""One log line per cause per interval, each telling how many it stands for."""

from app.errors import LogThrottle


def test_a_cause_is_logged_once_per_interval_and_counts_the_lines_held_back() -> None:
    now = [100.0]
    throttle = LogThrottle(interval=10, clock=lambda: now[0])
    assert throttle.admit("refused") == 0
    assert [throttle.admit("refused") for _ in range(3)] == [None, None, None]
    assert throttle.admit("timed out") == 0  # another cause has its own interval
    now[0] += 10
    assert throttle.admit("refused") == 3  # the next line says how many it stands for
    assert throttle.admit("refused") is None
