"""The users resource. A read of one user goes through the cache (`user:{id}`); every write
deletes that entry after the database has changed, so the next read is fresh."""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from starlette.routing import Match
from starlette.types import Scope

from app.dependencies import Cache, InjectingRoute, Users
from app.errors import error_responses
from app.routers.auth import SIGNED_IN_USER, authorize_users_call
from app.schemas import UserCreate, UserPublic, UserUpdate
from providers.users import DuplicateUserError, hash_password


class _UserRoute(InjectingRoute):
    """`/api/users/me` never matches an id: a method it lacks is a 405, not a 422."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if child_scope.get("path_params", {}).get("user_id") == SIGNED_IN_USER:
            return Match.NONE, {}
        return match, child_scope


router = APIRouter(
    prefix="/api/users",
    tags=["users"],
    route_class=_UserRoute,
    dependencies=[Depends(authorize_users_call)],
    responses=error_responses(401, 403, 500, 503),
)

SQLITE_MAX_INTEGER: Final = 2**63 - 1
"""Larger ids and offsets cannot reach the database, so they are a 422, not a 500."""

UserId = Annotated[int, Path(ge=1, le=SQLITE_MAX_INTEGER, description="the user's id")]


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"headers": {name: {"description": description, "required": True, "schema": schema}}}


def _cache_key(user_id: int) -> str:
    return f"user:{user_id}"


def _not_found(user_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no user with id {user_id}")


async def _stored_fields(body: UserCreate | UserUpdate) -> dict[str, Any]:
    """The repository's columns for the fields the client sent; a password becomes its hash."""
    fields = body.model_dump(exclude_unset=True, exclude={"password"})
    if body.password is not None:
        fields["password_hash"] = await hash_password(body.password)
    return fields


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    responses={
        **error_responses(400, 409, 413, 422),
        201: _header("Location", "The new user's URL.", type="string"),
    },
)
async def create_user(
    body: UserCreate, users: Users, request: Request, response: Response
) -> UserPublic:
    """Store a new user; `Location` points at it. 409 when the username or email is taken."""
    fields = await _stored_fields(body)
    fields.setdefault("is_active", body.is_active)
    try:
        user = await users.create(fields)
    except DuplicateUserError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    response.headers["Location"] = str(request.url_for("get_user", user_id=user.id))
    return UserPublic.model_validate(user)


@router.get(
    "",
    summary="List users",
    responses={
        **error_responses(422),
        200: _header("X-Total-Count", "How many users there are.", type="integer", minimum=0),
    },
)
async def list_users(
    users: Users,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=SQLITE_MAX_INTEGER, description="users to skip")] = 0,
) -> list[UserPublic]:
    """One page of users in id order; the `X-Total-Count` header holds the number of users."""
    page = await users.page(limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.total)
    return [UserPublic.model_validate(user) for user in page.items]


@router.get(
    "/{user_id}",
    name="get_user",
    summary="Read a user",
    response_model=UserPublic,  # validates the cached dict once, on the way out
    responses=error_responses(404, 422),
)
async def get_user(user_id: UserId, users: Users, cache: Cache) -> dict[str, Any]:
    """One user, served from the cache when it holds a fresh copy."""

    async def load() -> dict[str, Any]:
        user = await users.get(user_id)
        if user is None:  # raised inside the loader, so a missing user is never cached
            raise _not_found(user_id)
        # Only the public fields, as JSON: safe to share through Redis, never the hash.
        return UserPublic.model_validate(user).model_dump(mode="json")

    return await cache.get_or_set(_cache_key(user_id), load)


@router.patch(
    "/{user_id}", summary="Update a user", responses=error_responses(400, 404, 409, 413, 422)
)
async def update_user(user_id: UserId, body: UserUpdate, users: Users, cache: Cache) -> UserPublic:
    """Change only the fields sent; 409 when the new username or email is taken."""
    fields = await _stored_fields(body)
    try:
        user = await users.update(user_id, fields)
    except DuplicateUserError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    if user is None:
        raise _not_found(user_id)
    await cache.delete(_cache_key(user_id))
    return UserPublic.model_validate(user)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a user",
    responses=error_responses(404, 422),
)
async def delete_user(user_id: UserId, users: Users, cache: Cache) -> None:
    """Remove the user; 404 when there is none."""
    if not await users.delete(user_id):
        raise _not_found(user_id)
    await cache.delete(_cache_key(user_id))
