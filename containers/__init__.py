"""The application's dependency-injection container and the helpers tests use on it."""

from containers.application import Container
from containers.testing import override_services

__all__ = ["Container", "override_services"]
