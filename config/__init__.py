"""Wirework settings: read once from the environment and `.env`, validated at start-up."""

from config.settings import CacheSettings, DatabaseSettings, Environment, LogSettings, Settings

__all__ = ["CacheSettings", "DatabaseSettings", "Environment", "LogSettings", "Settings"]
