"""Request scope: enter a `RequestScoped` provider's value before the endpoint, exit it after.

A FastAPI dependency with `yield`, run in the "function" scope, so its exit (a commit) comes
before the response is sent and a failing commit still answers with an error. While the
value is open, a watcher cancels the request when the client disconnects: uvicorn would
let the endpoint run on, and commit, for nobody. The cancelled request ends as a 499.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from dependency_injector import providers
from fastapi import HTTPException, Request
from starlette.requests import ClientDisconnect

CLIENT_CLOSED_REQUEST = 499
"""The status a request gets when its client left before the response (nginx's number)."""

ProviderAt = Callable[[Request], providers.Provider[Any]]


def per_request(provider_at: ProviderAt) -> Callable[[Request], AsyncIterator[Any]]:
    """The dependency that opens the value of the provider `provider_at(request)` gives for
    this request, and closes it when the endpoint is done."""

    async def scoped(request: Request) -> AsyncIterator[Any]:
        provider = provider_at(request)
        value = await provider()
        if provider.overridden:  # a test's stand-in: handed over as it is
            yield value
            return
        task = cast("asyncio.Task[Any]", asyncio.current_task())  # a request runs in one
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
    """Cancel `task` once the client disconnects.

    Whatever body is left is read first, so only a disconnect ends the wait: FastAPI has
    read the body of an endpoint that takes one before the request scope opens.
    """
    with contextlib.suppress(RuntimeError):  # streamed by the endpoint's form parsing
        try:
            await request.body()
        except ClientDisconnect:
            task.cancel()
            return
    while (await request.receive())["type"] != "http.disconnect":
        pass
    task.cancel()
