"""The errors Wirework raises on purpose, one type per failure a caller can act on; each also
subclasses the built-in type callers already catch. `docs/errors.md` lists causes and fixes."""


class WireworkError(Exception):
    """Base of every error Wirework raises on purpose; anything else is a bug or a driver's."""


class ServiceNotReadyError(WireworkError, RuntimeError):
    """A service was used before `initialize()` or after `close()`: start the container first."""


class DatabaseConnectionLostError(WireworkError, ConnectionError):
    """The link to the database dropped during a statement, which may or may not have been
    applied; the pool replaces the connection, so a retry may succeed."""


class DatabaseUnavailableError(WireworkError, ConnectionError):
    """The server cannot serve now (refused, starting, stopping, or past the query timeout);
    retry once it is back. A statement that timed out may or may not have been applied."""


class ServiceStartError(WireworkError):
    """A service could not open what it needs at start-up; `hint` is the likely fix."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.hint = hint
