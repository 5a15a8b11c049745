"""Load: a bounded run at concurrency 100 against the real server, from a separate process.

Holds: no 5xx and no transport error, no lost write (every 201 is stored, and nothing
else is), the pool never lends more connections than its maximum, and the server's
memory settles: RSS after the measured run is within 10 % of RSS after the warm-up.
Prints requests per second and p50 / p99 latency (run with `-s` to see them).
"""

import json
import subprocess
import sys
from typing import Any

import psutil
import pytest

from tests.reliability.conftest import StartServer
from tests.servers import PROJECT_ROOT, ServerProcess

pytestmark = pytest.mark.slow

CONCURRENCY = 100
WARM_UP_REQUESTS = 2000
MEASURED_REQUESTS = 5000
POOL_MAX_SIZE = 5
RSS_GROWTH_LIMIT = 0.10


def _load(server: ServerProcess, requests: int) -> dict[str, Any]:
    """Run the load generator in its own process; its JSON report."""
    completed = subprocess.run(  # noqa: S603  # our own interpreter and module
        [
            sys.executable,
            "-m",
            "tests.reliability.loadgen",
            server.url,
            *("--requests", str(requests), "--concurrency", str(CONCURRENCY)),
            *("--time-limit", "150"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def _check_run(report: dict[str, Any], requests: int) -> None:
    assert report["transport_errors"] == {}, report["transport_errors"]
    assert report["answered"] == requests
    server_errors = {code: n for code, n in report["statuses"].items() if code.startswith("5")}
    assert not server_errors, report["statuses"]
    assert set(report["statuses"]) <= {"200", "201"}, report["statuses"]


def _stored_ids(server: ServerProcess) -> list[int]:
    ids: list[int] = []
    with server.client() as client:
        total = int(client.get("/api/users", params={"limit": 1}).headers["x-total-count"])
        while len(ids) < total:
            page = client.get("/api/users", params={"limit": 100, "offset": len(ids)}).json()
            assert page, f"listing ended at {len(ids)} of {total}"
            ids.extend(user["id"] for user in page)
    return ids


def test_load_at_concurrency_100_loses_nothing_and_holds_its_bounds(
    start_server: StartServer, database_url: str
) -> None:
    server = start_server(
        {"APP_DATABASE__URL": database_url, "APP_DATABASE__MAX_SIZE": str(POOL_MAX_SIZE)}
    )
    process = psutil.Process(server.pid)

    warm_up = _load(server, WARM_UP_REQUESTS)
    _check_run(warm_up, WARM_UP_REQUESTS)
    rss_after_warm_up = process.memory_info().rss

    measured = _load(server, MEASURED_REQUESTS)
    _check_run(measured, MEASURED_REQUESTS)
    rss_after_run = process.memory_info().rss

    created = warm_up["created"] + measured["created"]
    assert len(created) == warm_up["statuses"].get("201", 0) + measured["statuses"]["201"]
    stored = _stored_ids(server)
    assert sorted(stored) == sorted(created), "stored users differ from the acknowledged ones"

    with server.client() as client:
        pool = client.get("/api/stats").json()["database"]
    assert pool["max_size"] == POOL_MAX_SIZE
    assert pool["peak_in_use_connections"] <= POOL_MAX_SIZE
    assert pool["total_connections"] <= POOL_MAX_SIZE
    assert pool["acquire_timeouts"] == 0

    growth = (rss_after_run - rss_after_warm_up) / rss_after_warm_up
    print(
        f"\nload on {database_url.partition(':')[0]}: "
        f"{MEASURED_REQUESTS} requests at concurrency {CONCURRENCY}: "
        f"{measured['requests_per_second']} requests/s, p50 {measured['p50_ms']} ms, "
        f"p99 {measured['p99_ms']} ms; {len(created)} users written, all stored; "
        f"pool peak {pool['peak_in_use_connections']} of {POOL_MAX_SIZE}; "
        f"RSS {rss_after_warm_up / 2**20:.1f} -> {rss_after_run / 2**20:.1f} MiB "
        f"({growth:+.1%})"
    )
    assert growth < RSS_GROWTH_LIMIT, f"RSS grew {growth:.1%} after warm-up"
