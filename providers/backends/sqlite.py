"""`SQLiteBackend`: the user repository under the seed's testing guide's names (see the package)."""

from providers.database import DatabaseService
from providers.users import User, UserRepository


class SQLiteBackend(UserRepository):
    """A `UserRepository` on a pool of its own (`SQLiteBackend(url)`), or on a shared one."""

    def __init__(self, url: str | None = None, *, database: DatabaseService | None = None) -> None:
        if database is not None and url is not None:
            raise ValueError("pass either url or database, not both")
        self._owns_database = database is None
        self.service = database if database is not None else DatabaseService(url)
        super().__init__(self.service)

    async def initialize(self) -> None:
        """Open the pool this repository owns; a shared pool is opened by its owner."""
        if self._owns_database:
            await self.service.initialize()

    async def close(self) -> None:
        """Close the pool this repository owns."""
        if self._owns_database:
            await self.service.close()

    async def get_user_by_username(self, username: str) -> User | None:
        """The user with this username, or None."""
        return await self.find(username=username)

    async def get_user_by_email(self, email: str) -> User | None:
        """The user with this e-mail address, or None."""
        return await self.find(email=email)

    async def list_users(self, limit: int = 50, offset: int = 0) -> list[User]:
        """One page of users in id order."""
        return await self.items(limit=limit, offset=offset)

    create_user = UserRepository.create
    get_user_by_id = UserRepository.get
    update_user = UserRepository.update
    delete_user = UserRepository.delete
    count_users = UserRepository.count
