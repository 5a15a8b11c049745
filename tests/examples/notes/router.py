"""`/api/notes`: create, list (with `X-Total-Count`) and read notes."""

from typing import Annotated

from dependency_injector import providers
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from app.dependencies import Inject, InjectingRoute
from containers import Container, managed
from providers.database import UniqueViolationError
from tests.examples.notes.repository import Note, NoteRepository


class NotesContainer(Container):
    """The application's container: Wirework's services plus one line for notes."""

    notes = providers.Resource(managed, NoteRepository, database=Container.database)


Notes = Annotated[NoteRepository, Inject(NotesContainer.notes)]

router = APIRouter(prefix="/api/notes", tags=["notes"], route_class=InjectingRoute)


class NoteCreate(BaseModel):
    owner_id: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    body: str = ""


@router.post("", status_code=201)
async def create_note(body: NoteCreate, notes: Notes) -> Note:
    try:
        return await notes.create(body.model_dump())
    except UniqueViolationError:
        raise HTTPException(409, detail="this owner already has a note with this title") from None


@router.get("")
async def list_notes(
    notes: Notes,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Note]:
    page = await notes.page(limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.total)
    return page.items


@router.get("/{note_id}")
async def get_note(note_id: int, notes: Notes) -> Note:
    note = await notes.get(note_id)
    if note is None:
        raise HTTPException(404, detail=f"no note with id {note_id}")
    return note
