"""Signing in: the OAuth2 password flow (e-mail and password for an access token), and
`GET /api/users/me`."""

import math
from typing import Annotated, Final

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import SIGN_IN_PATH, SIGNED_IN_USER, CurrentUser, Limiter, Tokens, unauthorized
from app.dependencies import Users
from app.errors import RETRY_AFTER, error_responses
from app.schemas import ErrorResponse, TokenResponse, UserPublic
from providers.users import verify_password

router = APIRouter(responses=error_responses(500, 503))

WRONG_CREDENTIALS: Final = "wrong e-mail or password"
"""One answer for an unknown e-mail and a wrong password: it must not tell which."""

SIGN_IN_ERRORS: Final = {
    **error_responses(422),
    401: {"model": ErrorResponse, "description": "Wrong e-mail or password."},
    429: {
        "model": ErrorResponse,
        "description": "Too many failed sign-ins for this e-mail or from this client; "
        "retry after `Retry-After` seconds.",
        "headers": RETRY_AFTER,
    },
}


@router.post(SIGN_IN_PATH, summary="Sign in", tags=["auth"], responses=SIGN_IN_ERRORS)
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
        raise unauthorized(WRONG_CREDENTIALS)
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
