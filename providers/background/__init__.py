"""Periodic tasks: `BackgroundService` and the task locks that make a task exclusive."""

from providers.background.scheduler import LEASE_GRACE, BackgroundService
from providers.background.task import BackgroundTask

__all__ = ["LEASE_GRACE", "BackgroundService", "BackgroundTask"]
