"""Signing in (the OAuth2 password flow), the signed-in user, and the per-user rules. A token
is refused once its user changed password or was deactivated (`token_version`), checked on every
request so that a revocation holds at once on every instance."""

import math
from typing import Annotated, Final

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

from app.dependencies import InjectingRoute, Limiter, Tokens, Users, app_container
from app.errors import error_responses
from app.schemas import ErrorResponse, TokenResponse, UserPublic
from app.security import BEARER_CHALLENGE, SERVICE_CALL
from providers.auth import InvalidTokenError
from providers.users import User, verify_password

SIGN_IN_PATH: Final = "/api/auth/token"
SIGNED_IN_USER: Final = "me"
"""`/api/users/me`: the user the bearer token belongs to."""

bearer_token = OAuth2PasswordBearer(tokenUrl=SIGN_IN_PATH, auto_error=False)
"""The token of `Authorization: Bearer …`, or None; declares the password flow in OpenAPI."""

router = APIRouter(route_class=InjectingRoute, responses=error_responses(500, 503))


def unauthorized(detail: str) -> HTTPException:
    """A 401 asking for a bearer token, as RFC 6750 words it."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=BEARER_CHALLENGE)


async def current_user(
    token: Annotated[str | None, Depends(bearer_token)], tokens: Tokens, users: Users
) -> User:
    """The user the bearer token was issued to; 401 without a valid, unrevoked token."""
    if token is None:
        raise unauthorized("sign in: send Authorization: Bearer <token from POST /api/auth/token>")
    try:
        claims = tokens.verify(token)
    except InvalidTokenError as error:
        raise unauthorized(str(error)) from None
    user = await users.get(claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise unauthorized("the access token has been revoked: sign in again")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def authorize_users_call(request: Request) -> None:
    """The per-user rules of `/api/users*` where protection is on: a user reaches only the paths
    of their own id, an admin everything, the API key fully. It looks the services up by hand,
    as sub-dependencies would be solved on every request of an open server (`make bench`)."""
    if request.app.state.api_key is None or request.scope.get(SERVICE_CALL, False):
        return
    container = app_container(request)
    token = await bearer_token(request)
    user = await current_user(token, await container.tokens(), await container.users())
    if user.is_admin or request.path_params.get("user_id") == str(user.id):
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a user may reach only their own data")


@router.post(
    SIGN_IN_PATH,
    summary="Sign in",
    tags=["auth"],
    responses={
        **error_responses(422, 429),
        401: {"model": ErrorResponse, "description": "Wrong e-mail or password."},
    },
)
async def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    users: Users,
    tokens: Tokens,
    limiter: Limiter,
) -> TokenResponse:
    """An access token for the user with this e-mail (`username`) and password."""
    client = request.client.host if request.client is not None else "unknown"
    wait = await limiter.retry_after(form.username, client)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="too many failed sign-ins; retry after Retry-After seconds",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    user = await users.find(email=form.username)
    password_hash = user.password_hash if user is not None else None
    if not await verify_password(password_hash, form.password) or not user or not user.is_active:
        await limiter.failed(form.username, client)
        raise unauthorized("wrong e-mail or password")  # unknown e-mail too: never tell which
    await limiter.succeeded(form.username)
    return TokenResponse(
        access_token=tokens.issue(user.id, user.token_version), expires_in=tokens.lifetime
    )


@router.get(
    f"/api/users/{SIGNED_IN_USER}",
    summary="Read the signed-in user",
    tags=["users"],
    responses={401: {"model": ErrorResponse, "description": "No valid bearer token."}},
)
async def read_me(user: CurrentUser) -> UserPublic:
    """The user the bearer token belongs to."""
    return UserPublic.model_validate(user)
