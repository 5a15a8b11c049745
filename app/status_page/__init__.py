"""The `/status` page: every service the container holds, its health and figures, live."""
