"""Analytics: a second database with its own settings section, schema and repository,
walked through in docs/extending.md ("A second database")."""
