"""Headless Chromium for the page tests, driven by Playwright.

Playwright drives Debian's `chromium` (never a browser of its own: nothing is
downloaded). Without it every test here is skipped with one reason (under `CI=true`,
where `.ci/run` installs it, they fail instead). Each test gets a
fresh browser context (its own profile, cookies and session storage) that records every
request the page makes and refuses any that would leave 127.0.0.1.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    Request,
    Route,
    expect,
    sync_playwright,
)

from tests.servers import ServerProcess

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # the tests run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
WAIT_MS = 15_000
"""How long a step may take on a busy 2-core machine before the test fails."""


def chromium_path() -> str | None:
    """`WIREWORK_CHROMIUM`, else Debian's `chromium` on PATH."""
    return os.environ.get("WIREWORK_CHROMIUM") or shutil.which("chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)  # a browser and a server: seconds per test


# Module scope, not session: the sync API keeps an event loop running while it is open, and
# pytest-asyncio cannot run the other modules' tests beside it.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if chromium_path() is None:
        reason = (
            "Chromium not found: browser tests need Debian's chromium package "
            "(.ci/run installs it; or set WIREWORK_CHROMIUM to a Chromium binary)"
        )
        if os.environ.get("CI") == "true":  # .ci/run installed it: a skip would hide a gap
            pytest.fail(reason)
        pytest.skip(reason)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Playwright gives each launch a fresh temporary profile (--user-data-dir).
    chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()


@dataclass
class Traffic:
    """Every request a page made, and the ones refused because they would leave the machine."""

    requests: list[Request] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def bytes_transferred(self) -> int:
        """Response headers and bodies as received, summed over every finished request."""
        total = 0
        for request in self.requests:
            if request.failure is None and request.url.startswith("http"):
                sizes = request.sizes()
                total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
        return total


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def page(browser: Browser, traffic: Traffic) -> Iterator[Page]:
    """A page in a fresh context; a request to any host but the loopback is refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https", "ws", "wss"} and (
            urlsplit(url).hostname not in LOCAL_HOSTS
        ):
            traffic.refused.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", only_local)
    # A bound builtin cannot be a Playwright handler (it tags the callable), hence the lambda.
    context.on("request", lambda request: traffic.requests.append(request))  # noqa: PLW0108
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def status_server(directory: Path) -> ServerProcess:
    """`python -m app serve` with a heartbeat task, so the scheduler has a task to show."""
    return ServerProcess(
        {
            "APP_BACKGROUND__HEARTBEAT_INTERVAL": "1",
            "APP_ENVIRONMENT": "development",
            "APP_SERVER__SHUTDOWN_TIMEOUT": "1",  # a browser keeps connections open
        },
        directory,
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the browser tests that need no server of their own: they read pages
    and at most add a user of their own."""
    process = status_server(tmp_path_factory.mktemp("server"))
    process.start().wait_until_ready()
    yield process
    process.stop()
