"""Who is calling: a signed-in user (bearer token), a service (the API key), or anyone.

Where protection is on (an API key is set, as production requires), `/api/users*` answers a
signed-in user only about themself, an admin about everyone, and the API key fully (calls
between services). With no key (development) those paths stay open, and `GET /api/users/me`
still needs a token. A token is refused once its user changed password or was deactivated
(`token_version`), checked against the database on every request, so a revocation holds at
once on every instance.
"""

from typing import Annotated, Any, Final

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from app.dependencies import Inject, Users, app_container
from app.schemas import ErrorResponse
from app.security import BEARER_CHALLENGE, SERVICE_CALL
from containers import Container
from providers.auth import InvalidTokenError, LoginLimiter, TokenService
from providers.users import User, UserRepository

SIGN_IN_PATH: Final = "/api/auth/token"
SIGNED_IN_USER: Final = "me"
"""`/api/users/me`: the user the bearer token belongs to."""
_NOT_SIGNED_IN: Final = "sign in: send Authorization: Bearer <token from POST /api/auth/token>"

FORBIDDEN: Final[dict[int | str, dict[str, Any]]] = {
    403: {
        "model": ErrorResponse,
        "description": "A signed-in user asked about another user, or for every user (only "
        "an admin may).",
    }
}

bearer_token = OAuth2PasswordBearer(tokenUrl=SIGN_IN_PATH, auto_error=False)
"""The token of `Authorization: Bearer …`, or None; declares the password flow in OpenAPI."""

Tokens = Annotated[TokenService, Inject(Container.tokens)]
"""The access-token service, as an endpoint parameter: `tokens: Tokens`."""

Limiter = Annotated[LoginLimiter, Inject(Container.login_limiter)]
"""The failed sign-in limiter, as an endpoint parameter: `limiter: Limiter`."""


def unauthorized(detail: str) -> HTTPException:
    """A 401 asking for a bearer token, as RFC 6750 words it."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=BEARER_CHALLENGE)


async def _signed_in(
    token: str | None,
    tokens: TokenService,
    users: UserRepository,
) -> User:
    if token is None:
        raise unauthorized(_NOT_SIGNED_IN)
    try:
        claims = tokens.verify(token)
    except InvalidTokenError as error:
        raise unauthorized(str(error)) from None
    user = await users.get(claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise unauthorized("the access token has been revoked: sign in again")
    return user


async def current_user(
    token: Annotated[str | None, Depends(bearer_token)],
    tokens: Tokens,
    users: Users,
) -> User:
    """The user the bearer token was issued to; 401 without a valid, unrevoked token."""
    return await _signed_in(token, tokens, users)


CurrentUser = Annotated[User, Depends(current_user)]
"""The signed-in user, as an endpoint parameter: `user: CurrentUser`."""


async def authorize_users_call(request: Request) -> None:
    """The per-user rules of `/api/users*` (a router dependency, so every route has them):
    a user reaches only the paths of their own id; lists and creation are for admins.

    The services are looked up only where protection is on: an open server (development)
    pays nothing for these rules on each request."""
    protected = request.app.state.api_key is not None
    if not protected or request.scope.get(SERVICE_CALL, False):
        return
    container = app_container(request)
    token = await bearer_token(request)
    user = await _signed_in(token, await container.tokens(), await container.users())
    if user.is_admin or request.path_params.get("user_id") == str(user.id):
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a user may reach only their own data")
