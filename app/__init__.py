"""Wirework's HTTP application: `app.main.create_app` and the `python -m app` command line."""
