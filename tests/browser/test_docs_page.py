"""`/docs` and `/redoc` render the API in a real browser with no request leaving 127.0.0.1;
`/docs` signs in with an e-mail and a password (the OAuth2 password flow)."""

from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import LOCAL_HOSTS, Traffic
from tests.servers import ServerProcess

EMAIL = "ada.browser@example.com"
PASSWORD = "correct horse battery staple"
DOCS_PAGE_BUDGET = 3_000_000
"""Bytes a docs page may transfer: Swagger UI's or ReDoc's bundle, the document, a favicon."""

CSP_BLOCKED = "csp"
"""`Request.failure` of a request the page's Content-Security-Policy stopped."""


def operations(server: ServerProcess) -> list[tuple[str, str]]:
    document = httpx.get(f"{server.url}/openapi.json").json()
    return [
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    ]


def assert_stayed_local(traffic: Traffic) -> None:
    """Every request the page sent went to 127.0.0.1; any other was stopped by the browser.

    The page's Content-Security-Policy stops a request before it is sent: Chromium reports
    it as failed with `csp`, and it never reaches the network (nor the
    route that would refuse it).
    """
    assert traffic.requests, "the page made no request at all"
    sent = [request for request in traffic.requests if request.failure != CSP_BLOCKED]
    assert traffic.refused == []
    # blob: and data: URLs are made inside the page; they have no host.
    network = [urlsplit(request.url) for request in sent]
    assert {url.hostname for url in network if url.scheme not in {"blob", "data"}} <= LOCAL_HOSTS


def test_docs_lists_every_operation_offline(
    page: Page, traffic: Traffic, server: ServerProcess
) -> None:
    """Swagger UI shows one block per operation, from assets the application serves."""
    expected = operations(server)
    page.goto(f"{server.url}/docs")
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(expected))
    for method, path in expected:
        block = page.locator(f".opblock-{method.lower()}", has=page.get_by_text(path, exact=True))
        expect(block.first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_stayed_local(traffic)
    weight = traffic.bytes_transferred()
    print(f"\n/docs page weight: {weight:,} bytes")
    assert weight < DOCS_PAGE_BUDGET, f"/docs weighs {weight:,} bytes"


def test_redoc_lists_every_operation_offline(
    page: Page, traffic: Traffic, server: ServerProcess
) -> None:
    """ReDoc renders the same document, also without fetching anything from elsewhere."""
    expected = operations(server)
    page.goto(f"{server.url}/redoc")
    expect(page.locator("[data-section-id^='operation/']")).to_have_count(len(expected))
    page.wait_for_load_state("networkidle")
    assert_stayed_local(traffic)
    weight = traffic.bytes_transferred()
    print(f"\n/redoc page weight: {weight:,} bytes")
    assert weight < DOCS_PAGE_BUDGET, f"/redoc weighs {weight:,} bytes"


def test_authorize_then_me_is_the_signed_in_user(
    page: Page, traffic: Traffic, server: ServerProcess
) -> None:
    """After Authorize, `GET /api/users/me` tried out on the page answers with that user."""
    with server.client() as client:
        body = {"username": "ada.browser", "email": EMAIL, "password": PASSWORD}
        assert client.post("/api/users", json=body).status_code == 201
    page.goto(f"{server.url}/docs")
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill(EMAIL)
    dialog.locator("#oauth_password").fill(PASSWORD)
    dialog.locator(".auth-btn-wrapper .authorize").click()
    expect(dialog.get_by_text("Authorized", exact=True)).to_be_visible()
    dialog.locator(".auth-btn-wrapper .btn-done").click()

    me = page.locator("#operations-users-read_me_api_users_me_get")
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    answer = me.locator(".live-responses-table .response")
    expect(answer.locator(".response-col_status").first).to_have_text("200")
    expect(answer.locator(".microlight").first).to_contain_text(f'"email": "{EMAIL}"')
    page.wait_for_load_state("networkidle")
    assert_stayed_local(traffic)
