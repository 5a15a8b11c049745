"""Notes: a second resource with its own table, walked through in docs/extending.md."""
