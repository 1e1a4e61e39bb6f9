"""Everything that belongs to a person, kept in SQL (SQLAlchemy 2, async) plus a content-addressed blob store.

Imports nothing from `engine` or `bots`: the engine service passes the database URL and data directory in
and maps `storage.errors` to its own user-facing errors.
"""
