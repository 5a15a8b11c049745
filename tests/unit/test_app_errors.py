"""Error codes and the service helpers the endpoints share."""

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


async def test_stats_are_read_as_the_service_declares_them() -> None:
    service = plain_fake(CacheService)
    service.get_stats.return_value = {"status": "ok"}
    assert await read_stats(service) == {"status": "ok"}
    assert await read_stats(object()) is None  # a service without figures
    service.get_stats.return_value = None
    assert await read_stats(service) is None  # nothing to report now
