"""`/docs` signs in: Authorize with an e-mail and a password (the OAuth2 password flow), and
`GET /api/users/me` answers with that user, all without leaving 127.0.0.1."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Traffic
from tests.browser.test_docs_page import assert_stayed_local
from tests.servers import ServerProcess

EMAIL = "ada.browser@example.com"
PASSWORD = "correct horse battery staple"


def test_authorize_then_me_is_the_signed_in_user(
    page: Page, traffic: Traffic, server: ServerProcess
) -> None:
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
