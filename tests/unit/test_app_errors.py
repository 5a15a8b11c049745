"""Error codes and the service helpers the endpoints share."""

from unittest.mock import AsyncMock

import pytest

from app.errors import error_code
from app.service_status import read_stats
from providers.cache import CacheService
from tests.helpers import plain_fake


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "unauthorized"),
        (404, "not_found"),
        (405, "method_not_allowed"),
        (409, "conflict"),
        (599, "error"),
    ],
)
def test_error_codes_follow_the_status_phrase(status: int, code: str) -> None:
    assert error_code(status) == code


async def test_stats_are_read_from_sync_and_async_fakes() -> None:
    sync_fake = plain_fake(CacheService)
    sync_fake.get_stats.return_value = {"status": "ok"}
    async_fake = AsyncMock(spec_set=CacheService)  # every method a coroutine
    async_fake.get_stats.return_value = {"status": "ok"}
    assert await read_stats(sync_fake) == {"status": "ok"}
    assert await read_stats(async_fake) == {"status": "ok"}
