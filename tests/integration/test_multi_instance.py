"""Three real server processes on one PostgreSQL database and one Redis namespace.

What a user scaling out relies on: every instance sees every write, a unique username
stays unique under a race across instances, no instance serves a stale cached read after
another one wrote, an exclusive periodic task runs once per interval cluster-wide, and
losing an instance leaves the others serving.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_INTERVAL = 0.2
START_TIMEOUT = 30.0


@dataclass
class Instance:
    process: subprocess.Popen[bytes]
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(
                f"instance at {instance.url} exited with {instance.process.returncode}"
            )
        try:
            if httpx.get(f"{instance.url}/api/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"instance at {instance.url} not ready after {START_TIMEOUT}s")


@pytest.fixture
def cluster(
    postgres_url: str, redis_url: str, redis_namespace: str, tmp_path: Path
) -> Iterator[list[Instance]]:
    environment = {
        **os.environ,
        "APP_ENVIRONMENT": "test",
        "APP_DATABASE__URL": postgres_url,
        "APP_CACHE__BACKEND": "redis",
        "APP_CACHE__URL": redis_url,
        "APP_CACHE__NAMESPACE": redis_namespace,
        "APP_BACKGROUND__HEARTBEAT_INTERVAL": str(HEARTBEAT_INTERVAL),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    instances = []
    logs = ExitStack()
    for number in range(3):
        port = _free_port()
        log = logs.enter_context((tmp_path / f"instance-{number}.log").open("wb"))
        process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        instances.append(Instance(process, f"http://127.0.0.1:{port}"))
    try:
        for instance in instances:
            _wait_until_serving(instance)
        yield instances
    finally:
        for instance in instances:
            if instance.process.poll() is None:
                instance.process.send_signal(signal.SIGTERM)
        for instance in instances:
            try:
                instance.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()
        logs.close()


def _heartbeat_runs(instances: list[Instance]) -> int:
    total = 0
    for instance in instances:
        stats = httpx.get(f"{instance.url}/api/stats", timeout=5).json()
        total += stats["background"]["task_stats"]["cluster-heartbeat"]["runs"]
    return total


def test_three_instances_behave_as_one(cluster: list[Instance]) -> None:
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

    # The exclusive heartbeat runs once per interval across the cluster, not once per instance.
    before = _heartbeat_runs(cluster)
    time.sleep(3.0)
    runs = _heartbeat_runs(cluster) - before
    assert 12 <= runs <= 18, (
        f"{runs} heartbeats in 3 s at {HEARTBEAT_INTERVAL} s; ~45 means no lock"
    )

    # Losing an instance leaves the others serving, and the heartbeat carries on.
    cluster[0].process.kill()
    cluster[0].process.wait()
    survivors = cluster[1:]
    for client in clients[1:]:
        assert client.get("/api/health").status_code == 200
    response = clients[1].post(
        "/api/users", json={"username": "after", "email": "after@example.com"}
    )
    assert response.status_code == 201
    assert clients[2].get(f"/api/users/{response.json()['id']}").status_code == 200
    before = _heartbeat_runs(survivors)
    time.sleep(1.5)
    assert _heartbeat_runs(survivors) > before
    for client in clients:
        client.close()
