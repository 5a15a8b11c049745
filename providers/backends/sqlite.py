"""Compatibility surface only: `SQLiteBackend(url)`, with the method names older tests call.
Wirework itself uses `UserRepository`."""

from providers.database import DatabaseService
from providers.users import User, UserRepository


class SQLiteBackend(UserRepository):
    """The user repository on a pool of its own, opened from `url`."""

    def __init__(self, url: str | None = None) -> None:
        self.service = DatabaseService(url)
        super().__init__(self.service)

    async def initialize(self) -> None:
        await self.service.initialize()

    async def close(self) -> None:
        await self.service.close()

    async def get_user_by_username(self, username: str) -> User | None:
        return await self.find(username=username)

    async def list_users(self, limit: int = 50, offset: int = 0) -> list[User]:
        return await self.items(limit=limit, offset=offset)

    create_user = UserRepository.create
    get_user_by_id = UserRepository.get
    update_user = UserRepository.update
    delete_user = UserRepository.delete
