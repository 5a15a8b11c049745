"""The request body size limit: a larger body is refused with 413 before it is read whole.

A declared `Content-Length` over the limit is refused before a byte of the body is read; a
chunked body is counted as it streams in and refused at the chunk that crosses the limit.
A declared length within the limit needs no counting: the server never passes on more body
than the request declared.
"""

from typing import Final

from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response

CONTENT_TOO_LARGE: Final = "content_too_large"
_CONTENT_LENGTH: Final = b"content-length"
_TRANSFER_ENCODING: Final = b"transfer-encoding"


class BodyTooLargeError(Exception):
    """Raised into the application when a streamed body crosses the limit."""


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared `Content-Length` (None if absent), and whether a body may follow at all."""
    streamed = False
    for name, value in scope["headers"]:
        if name == _CONTENT_LENGTH:
            try:
                return int(value), True
            except ValueError:
                return None, True  # the server refuses a malformed length before we see it
        if name == _TRANSFER_ENCODING:
            streamed = True
    return None, streamed


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(
        413, CONTENT_TOO_LARGE, f"the request body is larger than the limit of {limit} bytes"
    )
    await response(scope, receive, send)


class BodySizeLimitMiddleware:
    """Answer 413 to a request whose body is larger than `state.max_body_size` bytes
    (`APP_SERVER__MAX_BODY_SIZE`, set by the lifespan; the default before start-up)."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: refuse a body over the limit before reading it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int = self.state.max_body_size
        declared, has_body = _framing(scope)
        if declared is not None and declared > limit:
            await _refuse(limit, scope, receive, send)
        elif declared is not None or not has_body:
            # Within its declared length, or no body at all (HTTP/1.1 sends one only with a
            # length or a transfer coding): nothing to count.
            await self.app(scope, receive, send)
        else:
            await self._counted(limit, scope, receive, send)

    async def _counted(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLargeError(f"request body over {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the app answers to a cut-off body, the client gets the 413
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or response_started:
                raise
        if exceeded and not response_started:
            await _refuse(limit, scope, receive, send)
