"""Wirework settings: read once from the environment and `.env`, validated at start-up."""

from config.settings import CacheSettings as CacheSettings
from config.settings import DatabaseSettings as DatabaseSettings
from config.settings import Environment as Environment
from config.settings import LogSettings as LogSettings
from config.settings import Settings as Settings
