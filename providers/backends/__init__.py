"""A compatibility surface for tests written against the seed's names: `SQLiteBackend(url)`
and `PostgresBackend(url)` open a pool of their own and call the user repository's methods
by older names. Wirework itself uses `providers.users.UserRepository` on `DatabaseService`.
"""
