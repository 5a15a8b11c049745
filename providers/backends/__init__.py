"""Public import path of the user repositories (they live in `providers.users`)."""
