"""The request body size limit: 413 for a declared `Content-Length` over it before a byte is
read, or for a chunked body at the chunk that crosses it. A declared length within the limit
needs no counting: the server never passes on more body than the request declared."""

from dataclasses import dataclass

from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response


class BodyTooLargeError(Exception):
    """Raised into the application when a streamed body crosses the limit."""


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    detail = f"the request body is larger than the limit of {limit} bytes"
    await error_response(413, "content_too_large", detail)(scope, receive, send)


@dataclass
class BodySizeLimitMiddleware:
    """Answer 413 to a request whose body is larger than `state.max_body_size` bytes
    (`APP_SERVER__MAX_BODY_SIZE`, set by the lifespan)."""

    app: ASGIApp
    state: State

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int = self.state.max_body_size
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # HTTP/1.1 sends no body without either header
        elif declared is None or not declared.isdigit():
            await self._counted(limit, scope, receive, send)
        elif int(declared) > limit:
            await _refuse(limit, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _counted(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(f"request body over {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if received > limit and not response_started:
                return  # whatever the app answers to a cut-off body, the client gets the 413
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if received <= limit or response_started:
                raise
        if received > limit and not response_started:
            await _refuse(limit, scope, receive, send)
