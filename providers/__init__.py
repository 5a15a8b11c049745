"""The services: what the container builds, each knowing nothing of settings or the app."""
