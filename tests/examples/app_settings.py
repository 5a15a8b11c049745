"""An application's own container: a `Container` subclass whose settings add a section.

What `docs/extending.md` has a newcomer write for the mailer, reduced to the settings.
"""

from pydantic import BaseModel

from config import Settings
from containers import Container, SettingsProvider


class MailerSettings(BaseModel):
    """The application's own section: `APP_MAILER__HOST`."""

    host: str | None = None


class AppSettings(Settings):
    """Wirework's settings plus the `mailer` section."""

    mailer: MailerSettings = MailerSettings()


class AppContainer(Container):
    """Wirework's container reading `AppSettings`."""

    settings = SettingsProvider(AppSettings)
