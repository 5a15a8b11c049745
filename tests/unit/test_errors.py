"""One error type per meaning, whichever service raises it."""

import pytest

from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from providers.errors import ServiceNotReadyError, WireworkError


async def test_every_service_used_before_start_raises_service_not_ready() -> None:
    """The database, the cache and the scheduler agree on the type, and it is a RuntimeError."""
    closed_scheduler = BackgroundService()
    await closed_scheduler.close()
    with pytest.raises(ServiceNotReadyError, match="Database service not initialized"):
        await DatabaseService().execute_query("SELECT 1")
    with pytest.raises(ServiceNotReadyError, match="Cache service not initialized"):
        await CacheService().get("key")
    with pytest.raises(ServiceNotReadyError, match="Background service is closed"):
        await closed_scheduler.ping()
    assert issubclass(ServiceNotReadyError, RuntimeError)
    assert issubclass(ServiceNotReadyError, WireworkError)
