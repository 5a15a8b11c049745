"""`/status` in a real browser: every service with its figures, live, and behind the key."""

import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from playwright.sync_api import Page, expect

from app.cli import main
from app.main import create_app
from app.routers.status import REFRESH_SECONDS
from config import Settings
from containers import Container, override_services
from tests.browser.conftest import Traffic, status_server
from tests.helpers import dependency_edges
from tests.servers import InProcessServer, ServerProcess

REFRESH_MS = REFRESH_SECONDS * 1000
"""One refresh period on the page's clock, which the tests stop and move forward: a test
sees the next refresh without waiting for it, and no refresh it did not ask for."""
CLOCK_START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
STATUS_PAGE_BUDGET = 100_000
"""Bytes `/status` may transfer on opening: its HTML, script, styles and first panel."""
NODE_PATHS = "nodes => nodes.map(node => node.dataset.node)"
EDGES = "edges => edges.map(edge => [edge.dataset.source, edge.dataset.target])"
NUMBER = re.compile(r"^\d+$")
API_KEY = "status-page-key-" + "x7Qp2Lm9" * 3


def card(page: Page, service: str) -> Any:
    return page.locator(f"article.card[data-service='{service}']")


def node(page: Page, path: str) -> Any:
    return page.locator(f"#graph g.node[data-node='{path}']")


def stop_the_clock(page: Page) -> None:
    """Fake the page's timers and stop its time: only `page.clock.run_for` moves it on."""
    page.clock.install(time=CLOCK_START)
    page.clock.pause_at(CLOCK_START + timedelta(seconds=1))


def wait_for_heartbeat_runs(server: ServerProcess, more_than: int) -> None:
    """Wait until the server's heartbeat task has run more than `more_than` times."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stats = httpx.get(f"{server.url}/api/stats").json()
        if stats["background"]["task_stats"]["cluster-heartbeat"]["runs"] > more_than:
            return
        time.sleep(0.1)
    raise AssertionError(f"the heartbeat did not run more than {more_than} times in 10 s")


def test_every_service_shows_its_readiness_and_figures(
    page: Page, traffic: Traffic, server: ServerProcess
) -> None:
    """Pool, cache and scheduler cards carry their key figures; the graph has every service."""
    stop_the_clock(page)
    page.goto(f"{server.url}/status")
    for service in ("database", "cache", "background", "users"):
        expect(card(page, service)).to_have_attribute("data-state", "ok")
        expect(node(page, service)).to_have_attribute("data-state", "ok")
    page.wait_for_load_state("networkidle")
    weight = traffic.bytes_transferred()  # the page and its first panel
    print(f"\n/status page weight: {weight:,} bytes")
    assert weight < STATUS_PAGE_BUDGET, f"/status weighs {weight:,} bytes"
    edge = page.locator("#graph path.edge")
    expect(edge).to_have_count(1)
    expect(edge).to_have_attribute("data-source", "database")
    expect(edge).to_have_attribute("data-target", "users")
    database = card(page, "database")
    for figure in ("in_use_connections", "available_connections", "waiting", "acquire_timeouts"):
        expect(database.locator(f"[data-figure='{figure}'] dd")).to_have_text(NUMBER)
    cache = card(page, "cache")
    expect(cache.locator("[data-figure='entries'] dd")).to_have_text(NUMBER)
    expect(cache.locator("[data-figure='hit_rate'] dd")).to_have_text(re.compile(r"^\d+\.\d%$"))
    task = card(page, "background").locator("table[data-table='task_stats'] tr[data-row]")
    expect(task).to_have_attribute("data-row", "cluster-heartbeat")
    headings = card(page, "background").locator("table[data-table='task_stats'] thead th")
    for column in ("runs", "errors", "last_error", "last_run"):
        expect(headings.filter(has_text=column)).to_have_count(1)
    # The heartbeat runs every second: a later refresh shows a run the first one did not.
    runs = task.locator("td[data-column='runs']")
    expect(runs).to_have_text(NUMBER)
    first_shown = int(runs.inner_text())
    wait_for_heartbeat_runs(server, more_than=first_shown)
    page.clock.run_for(REFRESH_MS)
    expect(runs).not_to_have_text(str(first_shown))
    assert int(runs.inner_text()) > first_shown
    expect(page.locator("#refreshed")).to_contain_text("refreshed")


@pytest.fixture
def server_to_stop(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own, which it may stop."""
    process = status_server(tmp_path)
    process.start().wait_until_ready()
    yield process
    process.stop()


def test_the_page_says_when_the_server_stops_answering(
    page: Page, server_to_stop: ServerProcess
) -> None:
    """The last cards stay on screen and the refresh line says the refresh failed."""
    stop_the_clock(page)
    page.goto(f"{server_to_stop.url}/status")
    expect(card(page, "database")).to_have_attribute("data-state", "ok")
    server_to_stop.stop()
    page.clock.run_for(REFRESH_MS)
    expect(page.locator("#refreshed")).to_contain_text("refresh failed")
    expect(page.locator("#refreshed")).to_have_class(re.compile(r"\bstale\b"))
    expect(card(page, "database")).to_be_visible()


class FailingCache:
    """A cache whose server went away: its ping raises, its figures are unavailable."""

    async def ping(self) -> None:
        raise ConnectionError("cache server unreachable")

    def get_stats(self) -> dict[str, Any]:
        raise ConnectionError("cache server unreachable")


@pytest.fixture
def container(tmp_path: Path) -> Container:
    container = Container()
    database_url = f"sqlite:///{tmp_path / 'status.db'}"
    container.settings.override(Settings(_env_file=None, database={"url": database_url}))
    return container


@pytest.fixture
def live_server(container: Container) -> Iterator[InProcessServer]:
    """The application served from this process, so the test can reach its container."""
    with InProcessServer(create_app(container)) as server:
        yield server


def test_a_failing_service_turns_red_within_one_refresh(
    page: Page, container: Container, live_server: InProcessServer
) -> None:
    """Card and graph node turn to failing with the error type; the rest stays readable."""
    stop_the_clock(page)
    page.goto(f"{live_server.url}/status")
    expect(card(page, "cache")).to_have_attribute("data-state", "ok")
    with override_services(container, cache=FailingCache()):
        page.clock.run_for(REFRESH_MS)
        expect(card(page, "cache")).to_have_attribute("data-state", "failing")
        expect(node(page, "cache")).to_have_attribute("data-state", "failing")
        expect(card(page, "cache").locator(".error")).to_contain_text("ConnectionError")
        expect(card(page, "database")).to_have_attribute("data-state", "ok")
        expect(card(page, "database").locator("[data-figure='in_use_connections']")).to_be_visible()
    page.clock.run_for(REFRESH_MS)
    expect(card(page, "cache")).to_have_attribute("data-state", "ok")


class AuditTrail:
    """A service an application adds by subclassing the container."""

    async def ping(self) -> None:
        return None

    def get_stats(self) -> dict[str, Any]:
        return {"status": "recording", "entries_written": 42}


async def audit_trail(database: object) -> AsyncIterator[AuditTrail]:
    yield AuditTrail()


class AuditedContainer(Container):
    audit = providers.Resource(audit_trail, database=Container.database)


def mermaid_graph(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Node paths and (from, to) path pairs of `python -m app graph` output."""
    paths = dict(re.findall(r'^    (\w+)\["([^"]+)"\]$', text, flags=re.MULTILINE))
    arrows = re.findall(r"^    (\w+) --> (\w+)$", text, flags=re.MULTILINE)
    return set(paths.values()), {(paths[source], paths[target]) for source, target in arrows}


def test_a_service_added_by_subclassing_appears_without_edits(
    page: Page, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its card, its node and its edge appear, and the page draws what `graph` prints."""
    container = AuditedContainer()
    database_url = f"sqlite:///{tmp_path / 'status.db'}"
    container.settings.override(Settings(_env_file=None, database={"url": database_url}))
    with InProcessServer(create_app(container)) as server:
        page.goto(f"{server.url}/status")
        expect(card(page, "audit")).to_have_attribute("data-state", "ok")
        expect(card(page, "audit").locator("[data-figure='entries_written'] dd")).to_have_text("42")
        expect(node(page, "audit")).to_have_attribute("data-state", "ok")
        drawn_nodes = set(page.locator("#graph g.node").evaluate_all(NODE_PATHS))
        drawn_edges = {tuple(edge) for edge in page.locator("#graph path.edge").evaluate_all(EDGES)}
    assert main(["graph"], container_factory=AuditedContainer) == 0
    printed_nodes, printed_edges = mermaid_graph(capsys.readouterr().out)
    edges = dependency_edges(AuditedContainer())  # the container's services, whatever they are
    assert "audit" in edges
    assert drawn_nodes == printed_nodes == set(edges)
    assert drawn_edges == printed_edges == {(dep, path) for path in edges for dep in edges[path]}


@pytest.fixture
def keyed_server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess({"APP_API_KEY": API_KEY}, tmp_path)
    process.start().wait_until_ready()
    yield process
    process.stop()


def test_no_figure_is_shown_before_the_key_is_entered(
    page: Page, traffic: Traffic, keyed_server: ServerProcess
) -> None:
    """The page asks for the key; a wrong one is refused; the right one shows the services."""
    stop_the_clock(page)
    page.goto(f"{keyed_server.url}/status")
    expect(page.locator("#key-form")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.card, .figure, #graph")).to_have_count(0)
    for request in traffic.requests:
        response = request.response()
        if response is not None and "panel" in request.url:
            assert response.status == 401

    page.fill("#api-key", "not-the-key")
    page.click("text=Show status")
    expect(page.locator("#key-message")).to_contain_text("refused")
    page.clock.run_for(REFRESH_MS)  # a later tick keeps the message and shows nothing
    expect(page.locator("#key-message")).to_contain_text("refused")
    expect(page.locator("article.card")).to_have_count(0)

    page.fill("#api-key", API_KEY)
    page.click("text=Show status")
    expect(card(page, "database")).to_have_attribute("data-state", "ok")
    expect(page.locator("#key-form")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('wirework.apiKey')") == API_KEY
    assert all(API_KEY not in request.url for request in traffic.requests)
    sent = [request.headers.get("x-api-key") for request in traffic.requests]
    assert API_KEY in sent
