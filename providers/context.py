"""What code running for a request may know about it without depending on the web layer."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The ID of the request this code runs for (`X-Request-ID`), None outside a request.

Set by the application for each request; tasks started meanwhile inherit it, so their log
lines carry it too.
"""
