"""Periodic tasks the application registers with its scheduler at start-up."""

import os
import socket
import time
from typing import Final

from config import Settings
from providers.background import BackgroundService
from providers.cache import CacheService

HEARTBEAT_TASK: Final = "cluster-heartbeat"
HEARTBEAT_KEY: Final = "cluster:heartbeat"


def register_tasks(background: BackgroundService, cache: CacheService, settings: Settings) -> None:
    """Add the built-in tasks the settings turn on: the cluster heartbeat, run by one instance
    per interval, records in the cache which instance (`host:pid`) holds the lease, and when."""
    interval = settings.background.heartbeat_interval
    if interval is None:
        return

    async def heartbeat() -> None:
        beat = {"instance": f"{socket.gethostname()}:{os.getpid()}", "at": time.time()}
        await cache.set(HEARTBEAT_KEY, beat, ttl=interval * 3)

    background.add_task(HEARTBEAT_TASK, heartbeat, interval, exclusive=True, timeout=interval)
