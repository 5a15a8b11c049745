"""What code running for a request may know about it without depending on the web layer."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The request's `X-Request-ID`, None outside a request; tasks started meanwhile inherit it."""
