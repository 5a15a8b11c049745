"""The worked example of docs/extending.md: a notes resource with its own table, end to end.

Built only from documented pieces: a migration package (`database.migrations`), a
`Repository` subclass, one container line in a `Container` subclass, and a router.
"""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.testing import isolated_settings
from config import Settings
from providers.database import UniqueViolationError
from providers.users import DuplicateUserError
from tests.examples.notes.router import NotesContainer
from tests.examples.notes.router import router as notes_router

# The application's own versions of the wirework plugin's fixtures: the plugin's `client`
# then runs this app, on a SQLite file and on PostgreSQL (`database_url`).


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    migrations = ["tests.examples.notes.migrations"]
    return isolated_settings(tmp_path, database={"url": database_url, "migrations": migrations})


@pytest.fixture
def container(settings: Settings) -> NotesContainer:
    container = NotesContainer()
    container.settings.override(settings)
    return container


@pytest.fixture
def app(container: NotesContainer) -> FastAPI:
    app = create_app(container)
    app.include_router(notes_router)
    return app


async def test_notes_over_http(client: httpx.AsyncClient) -> None:
    owner = await client.post("/api/users", json={"username": "ada", "email": "ada@example.com"})
    assert owner.status_code == 201
    note = {"owner_id": owner.json()["id"], "title": "groceries", "body": "milk"}

    created = await client.post("/api/notes", json=note)
    assert created.status_code == 201
    assert created.json() == {"id": 1, **note}
    assert (await client.get("/api/notes/1")).json() == created.json()

    duplicate = await client.post("/api/notes", json=note)
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "this owner already has a note with this title"

    await client.post("/api/notes", json={**note, "title": "books"})
    listed = await client.get("/api/notes", params={"limit": 1, "offset": 1})
    assert [item["title"] for item in listed.json()] == ["books"]
    assert listed.headers["X-Total-Count"] == "2"

    assert (await client.get("/api/notes/99")).status_code == 404
    assert (await client.post("/api/notes", json={"owner_id": 1})).status_code == 422


async def test_a_transaction_over_two_tables_commits_both_or_neither(
    client: httpx.AsyncClient, container: NotesContainer
) -> None:
    """A user and their first notes are created together; a conflict undoes all of it."""
    database, users, notes = (
        await container.database(),
        await container.users(),
        await container.notes(),
    )

    async def sign_up(username: str, titles: list[str]) -> None:
        async with database.transaction() as tx:
            user = await users.create(
                {"username": username, "email": f"{username}@example.com"}, tx=tx
            )
            for title in titles:
                await notes.create({"owner_id": user.id, "title": title}, tx=tx)

    await sign_up("ada", ["welcome", "todo"])
    with pytest.raises(UniqueViolationError, match=r"notes"):
        await sign_up("bob", ["welcome", "welcome"])  # the second note conflicts
    with pytest.raises(DuplicateUserError, match=r"username|email"):
        await sign_up("ada", ["again"])  # the user conflicts

    assert [user.username for user in await users.items()] == ["ada"]
    assert [note.title for note in (await notes.page()).items] == ["welcome", "todo"]
    assert (await client.get("/api/notes")).headers["X-Total-Count"] == "2"
    assert database.get_stats()["rolled_back_transactions"] == 2
