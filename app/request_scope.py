"""Request scope: a `RequestScoped` provider's value is entered before the endpoint, exited after.

A FastAPI dependency with `yield` in the "function" scope, so its exit (a commit) comes before
the response and a failing commit still answers with an error. While the value is open, a
watcher cancels the request when the client disconnects (uvicorn would let the endpoint run on,
and commit, for nobody); the cancelled request ends as a 499.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Final, cast

from dependency_injector import providers
from fastapi import HTTPException, Request
from starlette.requests import ClientDisconnect

CLIENT_CLOSED_REQUEST: Final = 499
"""The status of a request whose client left before the response (nginx's number)."""


def per_request(
    provider_at: Callable[[Request], providers.Provider[Any]],
) -> Callable[[Request], AsyncIterator[Any]]:
    """The dependency opening the value of the provider `provider_at(request)` for the request."""

    async def scoped(request: Request) -> AsyncIterator[Any]:
        provider = provider_at(request)
        value = await provider()
        if provider.overridden:  # a test's stand-in: handed over as it is
            yield value
            return
        task = cast("asyncio.Task[Any]", asyncio.current_task())
        watcher = asyncio.create_task(_cancel_on_disconnect(request, task))
        try:
            async with value as opened:
                try:
                    yield opened
                finally:
                    watcher.cancel()  # the endpoint is done: its value closes as it ended
        except asyncio.CancelledError:
            left = watcher.done() and not watcher.cancelled()
            if not left or task.uncancel() > 0:
                raise
            raise HTTPException(CLIENT_CLOSED_REQUEST, "the client closed the connection") from None
        finally:
            watcher.cancel()

    return scoped


async def _cancel_on_disconnect(request: Request, task: asyncio.Task[Any]) -> None:
    """Cancel `task` once the client disconnects, after reading whatever body is left (FastAPI
    has read the body of an endpoint that takes one before the scope opens)."""
    with contextlib.suppress(RuntimeError):  # streamed by the endpoint's form parsing
        try:
            await request.body()
        except ClientDisconnect:
            task.cancel()
            return
    while (await request.receive())["type"] != "http.disconnect":
        pass
    task.cancel()
