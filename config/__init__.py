"""Wirework settings: read once from the environment and `.env`, validated at start-up."""

from config.settings import (
    BackgroundSettings,
    CacheSettings,
    DatabaseSettings,
    Environment,
    LogSettings,
    ServerSettings,
    Settings,
)

__all__ = [
    "BackgroundSettings",
    "CacheSettings",
    "DatabaseSettings",
    "Environment",
    "LogSettings",
    "ServerSettings",
    "Settings",
]
