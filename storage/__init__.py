"""Everything that belongs to a person, kept in SQL (SQLAlchemy 2, async) plus a content-addressed blob store.

Imports nothing from `engine` or `bots`: the engine service passes the database URL and data directory in
and maps `storage.errors` to its own user-facing errors. See docs/storage.md.
"""

from storage.blobs import BlobStore, FileBlobStore
from storage.db import Database, database_url_from_env
from storage.errors import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidValueError,
    MigrationError,
    NotFoundError,
    StorageError,
)

__all__ = [
    "BlobStore",
    "ConflictError",
    "Database",
    "DatabaseUnavailableError",
    "FileBlobStore",
    "InvalidValueError",
    "MigrationError",
    "NotFoundError",
    "StorageError",
    "database_url_from_env",
]
