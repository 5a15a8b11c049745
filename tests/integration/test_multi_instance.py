"""Three real server processes on one PostgreSQL database and one Redis namespace.

What a user scaling out relies on: every instance sees every write, a unique username
stays unique under a race across instances, no instance serves a stale cached read after
another one wrote, an exclusive periodic task runs once per interval cluster-wide, and
losing an instance leaves the others serving.
"""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.servers import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

HEARTBEAT_INTERVAL = 0.2


@pytest.fixture
def cluster(
    postgres_url: str, redis_url: str, redis_namespace: str, tmp_path: Path
) -> Iterator[list[ServerProcess]]:
    settings = {
        "APP_ENVIRONMENT": "test",
        "APP_DATABASE__URL": postgres_url,
        "APP_CACHE__BACKEND": "redis",
        "APP_CACHE__URL": redis_url,
        "APP_CACHE__NAMESPACE": redis_namespace,
        "APP_BACKGROUND__HEARTBEAT_INTERVAL": str(HEARTBEAT_INTERVAL),
    }
    instances = [ServerProcess(settings, tmp_path, f"instance-{number}") for number in range(3)]
    try:
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.wait_until_ready()
        yield instances
    finally:
        for instance in instances:
            instance.stop()


def _heartbeats(instances: list[ServerProcess]) -> tuple[int, int]:
    """Heartbeat runs and skipped due times, summed over `instances`."""
    runs = skipped = 0
    for instance in instances:
        stats = httpx.get(f"{instance.url}/api/stats", timeout=5).json()
        heartbeat = stats["background"]["task_stats"]["cluster-heartbeat"]
        runs += heartbeat["runs"]
        skipped += heartbeat["skipped"]
    return runs, skipped


def _eventually(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(HEARTBEAT_INTERVAL / 4)


def test_three_instances_behave_as_one(cluster: list[ServerProcess]) -> None:
    clients = [instance.client() for instance in cluster]

    # Users created round-robin are visible from every instance.
    created = []
    for number in range(9):
        response = clients[number % 3].post(
            "/api/users", json={"username": f"user{number}", "email": f"u{number}@example.com"}
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    for client in clients:
        listing = client.get("/api/users", params={"limit": 100})
        assert listing.headers["x-total-count"] == "9"
        assert sorted(user["id"] for user in listing.json()) == sorted(created)

    # The same username sent to all three at once: exactly one wins.
    race = {"username": "contested", "email": "contested@example.com"}
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = sorted(
            pool.map(lambda client: client.post("/api/users", json=race).status_code, clients)
        )
    assert statuses == [201, 409, 409]

    # A write through one instance is seen by the next read through another.
    user_id = created[0]
    assert clients[1].get(f"/api/users/{user_id}").json()["email"] == "u0@example.com"  # cached now
    patched = clients[0].patch(f"/api/users/{user_id}", json={"email": "changed@example.com"})
    assert patched.status_code == 200
    assert clients[1].get(f"/api/users/{user_id}").json()["email"] == "changed@example.com"
    assert clients[2].get(f"/api/users/{user_id}").json()["email"] == "changed@example.com"

    # The exclusive heartbeat runs once per interval across the cluster, not once per
    # instance: at each due time the lease holder runs it and the two others skip it. Without
    # the lock nobody would skip; counted over runs, not seconds, so a slow machine agrees.
    runs_before, skipped_before = _heartbeats(cluster)
    _eventually(lambda: _heartbeats(cluster)[0] >= runs_before + 6, "six heartbeats")
    runs, skipped = (
        now - before
        for now, before in zip(_heartbeats(cluster), (runs_before, skipped_before), strict=True)
    )
    assert skipped >= runs, f"{runs} heartbeats ran but only {skipped} were skipped: no lock"

    # Losing an instance leaves the others serving, and the heartbeat carries on.
    cluster[0].kill()
    survivors = cluster[1:]
    for client in clients[1:]:
        assert client.get("/api/health").status_code == 200
    response = clients[1].post(
        "/api/users", json={"username": "after", "email": "after@example.com"}
    )
    assert response.status_code == 201
    assert clients[2].get(f"/api/users/{response.json()['id']}").status_code == 200
    runs_before, _ = _heartbeats(survivors)
    _eventually(lambda: _heartbeats(survivors)[0] > runs_before, "heartbeat on the survivors")
    for client in clients:
        client.close()
