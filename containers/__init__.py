"""The application's dependency-injection container and the helpers tests use on it."""

from containers.application import Container
from containers.lifecycle import RequestScoped, managed, override_services
from containers.settings import SettingsProvider

__all__ = ["Container", "RequestScoped", "SettingsProvider", "managed", "override_services"]
