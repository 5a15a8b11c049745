"""Users who can sign in, for the sign-in tests: created through the API, promoted in the
repository (as `python -m app users create-admin` does), signed in through the form."""

from typing import Any, Final

import httpx

from containers import Container

PASSWORD: Final = "correct horse battery staple"
KEY: Final = "k3y-with-enough-entropy"


async def create_user(
    client: httpx.AsyncClient, username: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = await client.post("/api/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def make_admin(container: Container, user_id: int) -> None:
    users = await container.users()
    await users.update(user_id, {"is_admin": True})


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/api/auth/token", data={"username": email, "password": password})


async def bearer(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """The `Authorization` header of a fresh token for `email`."""
    response = await sign_in(client, email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
