"""The notes table: a model and a repository, nothing else."""

from dataclasses import dataclass

from providers.database import Repository


@dataclass(frozen=True)
class Note:
    id: int
    owner_id: int
    title: str
    body: str


class NoteRepository(Repository[Note]):
    """create / get / find / update / delete / page, each with `tx=`, from `Repository`."""

    table = "notes"
    model = Note
    columns = ("owner_id", "title", "body")
    required = ("owner_id", "title")
