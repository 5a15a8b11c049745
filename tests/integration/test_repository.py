"""The generic `Repository`: what a second table's repository gets for free, on both dialects."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from providers.database import DatabaseService, UniqueViolationError
from tests.examples.notes.repository import Note, NoteRepository


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def notes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[NoteRepository]:
    """The example's notes repository on a migrated database, SQLite file then PostgreSQL."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/repository.db"
    database = DatabaseService(url, migrations=["tests.examples.notes.migrations"])
    await database.initialize()
    yield NoteRepository(database)
    await database.close()


async def test_create_get_find_update_delete(notes: NoteRepository) -> None:
    created = await notes.create({"owner_id": 1, "title": "a"})
    assert created == Note(id=created.id, owner_id=1, title="a", body="")
    assert await notes.get(created.id) == created
    assert await notes.find(owner_id=1, title="a") == created
    assert await notes.find(title="missing") is None
    updated = await notes.update(created.id, {"body": "text"})
    assert updated == Note(id=created.id, owner_id=1, title="a", body="text")
    assert await notes.update(created.id, {}) == updated
    assert await notes.update(404, {"body": "x"}) is None
    assert await notes.delete(created.id) is True
    assert await notes.delete(created.id) is False


@pytest.mark.parametrize(
    "values", [{"id": 5, "owner_id": 1, "title": "a"}, {"owner_id = 1 --": 1, "title": "a"}]
)
async def test_only_declared_columns_reach_sql(
    notes: NoteRepository, values: dict[str, object]
) -> None:
    with pytest.raises(
        ValueError, match=r"unknown notes field\(s\).*allowed: owner_id, title, body"
    ):
        await notes.create(values)
    with pytest.raises(ValueError, match="unknown notes field"):
        await notes.find(**{"title = title OR 1 = 1 --": 1})
    assert await notes.count() == 0


async def test_required_columns(notes: NoteRepository) -> None:
    with pytest.raises(ValueError, match=r"missing notes field\(s\): title"):
        await notes.create({"owner_id": 1, "title": ""})


async def test_a_duplicate_names_table_and_columns_not_values(notes: NoteRepository) -> None:
    await notes.create({"owner_id": 1, "title": "secret title"})
    with pytest.raises(UniqueViolationError) as caught:
        await notes.create({"owner_id": 1, "title": "secret title"})
    assert (caught.value.table, caught.value.columns) == ("notes", ("owner_id", "title"))
    assert "secret" not in str(caught.value)


async def test_page_has_items_in_id_order_and_the_total(notes: NoteRepository) -> None:
    for number in range(5):
        await notes.create({"owner_id": 1, "title": f"n{number}"})
    page = await notes.page(limit=2, offset=3)
    assert [note.title for note in page.items] == ["n3", "n4"]
    assert page.total == 5
    assert (await notes.page(limit=2, offset=10)).items == []
    with pytest.raises(ValueError, match="must not be negative"):
        await notes.page(offset=-1)
