"""Periodic tasks the application registers with its scheduler at start-up.

The cluster heartbeat is exclusive: across every instance sharing a task lock, one runs
it per interval. It records who ran it and when in the cache, so an operator (or a test)
can see which instance holds the lease.
"""

import os
import socket
import time
from typing import Any, Final

from config import Settings
from providers.background import BackgroundService
from providers.cache import CacheService

HEARTBEAT_TASK: Final = "cluster-heartbeat"
HEARTBEAT_KEY: Final = "cluster:heartbeat"


def instance_name() -> str:
    """`host:pid`, unique among the instances of one deployment."""
    return f"{socket.gethostname()}:{os.getpid()}"


def register_tasks(background: BackgroundService, cache: CacheService, settings: Settings) -> None:
    """Add the built-in tasks the settings turn on."""
    interval = settings.background.heartbeat_interval
    if interval is None:
        return

    async def heartbeat() -> None:
        beat: dict[str, Any] = {"instance": instance_name(), "at": time.time()}
        await cache.set(HEARTBEAT_KEY, beat, ttl=interval * 3)

    background.add_task(HEARTBEAT_TASK, heartbeat, interval, exclusive=True, timeout=interval)
