"""The `wirework` pytest plugin's entry point: the fixtures live in `app.testing`."""

pytest_plugins = ["app.testing"]
