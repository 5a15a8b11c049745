"""At most one log line per cause per interval: an outage must not flood the log."""

import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass
class LogThrottle:
    """Lets one line per key through every `interval` seconds and counts those held back."""

    interval: float
    clock: Callable[[], float] = time.monotonic
    _last: dict[Hashable, float] = field(default_factory=dict, init=False)
    _held: Counter[Hashable] = field(default_factory=Counter, init=False)

    def admit(self, key: Hashable) -> int | None:
        """None when this line must be held back; else how many were held back before it."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._held[key] += 1
            return None
        self._last[key] = now
        return self._held.pop(key, 0)
