"""The user repository under the names and methods of the seed's testing guide.

A compatibility surface for tests written against that guide: `SQLiteBackend(url)` and
`PostgresBackend(url)` open a pool of their own, and `create_user`, `get_user_by_id`, …
are the repository's methods under the guide's names. Wirework itself uses
`providers.users.UserRepository` on the application's `DatabaseService`.
"""
