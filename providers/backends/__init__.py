"""Public import paths of the user repository under its historical per-database names."""
