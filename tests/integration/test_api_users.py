"""The users resource on the real SQLite repository and the real cache."""

import logging
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from containers import Container

PASSWORD = "correct horse battery staple"


async def create(client: httpx.AsyncClient, username: str = "ada", **fields: Any) -> dict[str, Any]:
    body = {"username": username, "email": f"{username}@example.com", **fields}
    response = await client.post("/api/users", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_full_lifecycle(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/users", json={"username": "ada", "email": "ada@example.com"})
    assert created.status_code == 201
    user = created.json()
    assert set(user) == {"id", "username", "email", "is_active", "is_admin", "created_at"}
    assert user["username"] == "ada"
    assert user["is_active"] is True
    assert created.headers["Location"] == f"http://test/api/users/{user['id']}"

    read = await client.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json() == user

    updated = await client.patch(
        f"/api/users/{user['id']}", json={"email": "countess@example.com", "is_active": False}
    )
    assert updated.status_code == 200
    assert updated.json() == {**user, "email": "countess@example.com", "is_active": False}
    assert (await client.get(f"/api/users/{user['id']}")).json() == updated.json()

    deleted = await client.delete(f"/api/users/{user['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"/api/users/{user['id']}")).status_code == 404
    assert (await client.delete(f"/api/users/{user['id']}")).status_code == 404


async def test_patch_with_empty_body_changes_nothing(client: httpx.AsyncClient) -> None:
    user = await create(client)
    response = await client.patch(f"/api/users/{user['id']}", json={})
    assert response.status_code == 200
    assert response.json() == user


async def test_pagination_and_total_count(client: httpx.AsyncClient) -> None:
    ids = [(await create(client, f"user{n}"))["id"] for n in range(5)]

    first = await client.get("/api/users", params={"limit": 2})
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "5"
    assert [user["id"] for user in first.json()] == ids[:2]

    middle = await client.get("/api/users", params={"limit": 2, "offset": 2})
    assert [user["id"] for user in middle.json()] == ids[2:4]

    last = await client.get("/api/users", params={"limit": 2, "offset": 4})
    assert [user["id"] for user in last.json()] == ids[4:]

    beyond = await client.get("/api/users", params={"offset": 10})
    assert beyond.json() == []
    assert beyond.headers["X-Total-Count"] == "5"


async def test_empty_list_has_zero_total(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/users")
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "0"


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}, {"offset": 2**63}],
)
async def test_bad_paging_is_422(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/api/users", params=params)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "email": "ab@example.com"}, "username"),
        ({"username": "x" * 65, "email": "long@example.com"}, "username"),
        ({"username": "has space", "email": "space@example.com"}, "username"),
        ({"username": "ada", "email": "not-an-email"}, "email"),
        ({"username": "ada", "email": "ada@example.com", "password": "short"}, "password"),
        ({"username": "ada", "email": "ada@example.com", "password": "p" * 129}, "password"),
        ({"username": "ada", "email": "ada@example.com", "is_admin": True}, "is_admin"),
        ({"email": "ada@example.com"}, "username"),
    ],
)
async def test_invalid_create_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/users", json=body)
    assert response.status_code == 422
    data = response.json()
    assert data["error"] == "validation_error"
    assert ["body", field] in [problem["loc"] for problem in data["detail"]]
    assert (await client.get("/api/users")).headers["X-Total-Count"] == "0"


async def test_validation_errors_do_not_echo_the_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", json={"username": "ada", "email": "ada@example.com", "password": "hunter2"}
    )
    assert response.status_code == 422
    assert "hunter2" not in response.text
    assert all(set(problem) == {"loc", "msg", "type"} for problem in response.json()["detail"])


@pytest.mark.parametrize(
    "body",
    [{"username": None}, {"email": None}, {"password": None}, {"is_active": None}, {"role": "x"}],
)
async def test_invalid_update_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    user = await create(client)
    response = await client.patch(f"/api/users/{user['id']}", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert (await client.get(f"/api/users/{user['id']}")).json() == user


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_malformed_json_is_400(client: httpx.AsyncClient, method: str) -> None:
    user = await create(client)
    url = "/api/users" if method == "POST" else f"/api/users/{user['id']}"
    response = await client.request(
        method, url, content=b'{"username": "ada",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "malformed_json",
        "detail": "the request body is not valid JSON",
    }


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_absent_user_is_404(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(
        method, "/api/users/12345", json={} if method == "PATCH" else None
    )
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "no user with id 12345"}


@pytest.mark.parametrize("user_id", ["0", "-1", "abc", str(2**63)])
async def test_impossible_ids_are_422(client: httpx.AsyncClient, user_id: str) -> None:
    response = await client.get(f"/api/users/{user_id}")
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


async def test_unknown_path_and_wrong_method_answer_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong_method = await client.put("/api/users/1", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"
    assert wrong_method.headers["allow"] == "DELETE, GET, PATCH"  # every route at the path


@pytest.mark.parametrize("field", ["username", "email"])
async def test_duplicate_on_create_is_409_naming_the_field(
    client: httpx.AsyncClient, field: str
) -> None:
    await create(client, "ada")
    body = {"username": "grace", "email": "grace@example.com"}
    body[field] = {"username": "ada", "email": "ada@example.com"}[field]
    response = await client.post("/api/users", json=body)
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "detail": f"a user with this {field} already exists",
    }
    assert (await client.get("/api/users")).headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("field", ["username", "email"])
async def test_duplicate_on_update_is_409_naming_the_field(
    client: httpx.AsyncClient, field: str
) -> None:
    ada = await create(client, "ada")
    grace = await create(client, "grace")
    response = await client.patch(f"/api/users/{grace['id']}", json={field: ada[field]})
    assert response.status_code == 409
    assert response.json()["detail"] == f"a user with this {field} already exists"
    assert (await client.get(f"/api/users/{grace['id']}")).json() == grace


async def test_missing_user_is_not_cached(client: httpx.AsyncClient) -> None:
    """A 404 must not stick: the id may exist a moment later."""
    assert (await client.get("/api/users/1")).status_code == 404
    user = await create(client)
    assert user["id"] == 1
    assert (await client.get("/api/users/1")).json() == user


async def test_reads_after_writes_are_never_stale(client: httpx.AsyncClient) -> None:
    user = await create(client)
    url = f"/api/users/{user['id']}"
    assert (await client.get(url)).json() == user  # fills the cache
    assert (await client.get(url)).json() == user  # served from it

    for email in ("one@example.com", "two@example.com", "three@example.com"):
        assert (await client.patch(url, json={"email": email})).status_code == 200
        assert (await client.get(url)).json()["email"] == email
        assert (await client.get(url)).json()["email"] == email

    assert (await client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_repeated_reads_are_cache_hits(client: httpx.AsyncClient) -> None:
    user = await create(client)
    before = (await client.get("/api/stats")).json()["cache"]
    for _ in range(3):
        await client.get(f"/api/users/{user['id']}")
    after = (await client.get("/api/stats")).json()["cache"]
    assert after["miss_count"] == before["miss_count"] + 1
    assert after["hit_count"] == before["hit_count"] + 2
    assert after["hit_rate"] != before["hit_rate"]


async def test_no_response_carries_a_password_or_its_hash(
    client: httpx.AsyncClient, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses = []
    created = await client.post(
        "/api/users", json={"username": "ada", "email": "ada@example.com", "password": PASSWORD}
    )
    responses.append(created)
    user_id = created.json()["id"]
    responses += [
        await client.get(f"/api/users/{user_id}"),
        await client.get(f"/api/users/{user_id}"),
        await client.get("/api/users"),
        await client.patch(f"/api/users/{user_id}", json={"password": PASSWORD + "!"}),
        await client.get(f"/api/users/{user_id}"),
        await client.get("/api/stats"),
    ]
    assert [response.status_code for response in responses] == [201, 200, 200, 200, 200, 200, 200]

    user = await (await container.users()).get(user_id)
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, PASSWORD + "!")
    for response in responses:
        assert "password" not in response.text
        assert PASSWORD not in response.text
        assert user.password_hash not in response.text
    assert PASSWORD not in caplog.text

    cache = await container.cache()
    assert cache.cache, "the read path should have cached the user"
    assert all("password" not in str(entry) for entry in cache.cache.values())
