"""`/docs` and `/redoc` reference only the application's own assets, which it serves."""

import re

import httpx
import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_pages_load_nothing_from_another_host(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    references = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert references
    assert all(reference.startswith("/docs-assets/") for reference in references), references
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_assets_are_served(client: httpx.AsyncClient, asset: str, content_type: str) -> None:
    response = await client.get(f"/docs-assets/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert len(response.content) > 1000


async def test_oauth2_redirect_page_is_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200
