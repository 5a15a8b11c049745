"""The errors Wirework raises on purpose, one type per failure a caller can act on.

Each subclasses the built-in type older callers already catch (`RuntimeError`,
`ConnectionError`), so `except RuntimeError` keeps working; new code catches these by
meaning. `docs/errors.md` lists them with their causes and fixes.
"""

__all__ = [
    "DatabaseConnectionLostError",
    "DatabaseUnavailableError",
    "ServiceNotReadyError",
    "ServiceStartError",
    "WireworkError",
]


class WireworkError(Exception):
    """Base of every error Wirework raises on purpose; anything else is a bug or a driver's."""


class ServiceNotReadyError(WireworkError, RuntimeError):
    """A service was used before `initialize()` or after `close()`.

    Hint: start the container first (`await container.init_resources()`, or the app's
    lifespan), and stop using a service once it is shut down.
    """


class DatabaseConnectionLostError(WireworkError, ConnectionError):
    """The link to the database dropped during a statement; retrying it may succeed.

    The pool replaces the connection by itself; a write may or may not have been applied.
    """


class DatabaseUnavailableError(WireworkError, ConnectionError):
    """The database server cannot serve right now: it refused the connection, is starting up
    or shutting down, or did not answer within the query timeout.

    Nothing is wrong with the statement; retry once the server is back. A statement that
    timed out may or may not have been applied.
    """


class ServiceStartError(WireworkError):
    """A service could not open what it needs at start-up: a server, a database, a folder.

    `hint` says the most likely fix in a sentence, for the start-up report to print.
    """

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.hint = hint
