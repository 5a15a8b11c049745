"""Behind a reverse proxy, `Location` names the host and scheme the client used.

A real `python -m app serve`, configured by `APP_SERVER__PROXY_HEADERS` and
`APP_SERVER__FORWARDED_ALLOW_IPS`. The test connects from 127.0.0.1, as a proxy on the same
machine would.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import ServerProcess

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com"}
USER = {"username": "ada", "email": "ada@example.com"}
Serve = Callable[..., ServerProcess]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    servers: list[ServerProcess] = []

    def start(**settings: str) -> ServerProcess:
        server = ServerProcess(settings, tmp_path, name=f"server{len(servers)}").start()
        servers.append(server)
        server.wait_until_ready()
        return server

    yield start
    for server in servers:
        server.stop()


def test_a_trusted_proxy_s_host_and_scheme_reach_location(serve: Serve) -> None:
    server = serve(APP_SERVER__FORWARDED_ALLOW_IPS="127.0.0.1")
    with server.client() as client:
        response = client.post("/api/users", json=USER, headers=FORWARDED)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "https://api.example.com/api/users/1"


def test_the_host_is_trusted_by_the_proxy_s_address_not_the_client_s(serve: Serve) -> None:
    """A proxy also sends `X-Forwarded-For`: the client it names is not the one trusted."""
    server = serve(APP_SERVER__FORWARDED_ALLOW_IPS="127.0.0.1")
    headers = {**FORWARDED, "X-Forwarded-For": "203.0.113.5"}
    with server.client() as client:
        response = client.post("/api/users", json=USER, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "https://api.example.com/api/users/1"


def test_an_untrusted_peer_s_forwarded_headers_are_ignored(serve: Serve) -> None:
    server = serve(APP_SERVER__FORWARDED_ALLOW_IPS="10.0.0.0/8")
    with server.client() as client:
        response = client.post("/api/users", json=USER, headers=FORWARDED)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{server.url}/api/users/1"


def test_proxy_headers_can_be_turned_off(serve: Serve) -> None:
    server = serve(APP_SERVER__PROXY_HEADERS="false")
    with server.client() as client:
        response = client.post("/api/users", json=USER, headers=FORWARDED)
    assert response.headers["Location"] == f"{server.url}/api/users/1"
