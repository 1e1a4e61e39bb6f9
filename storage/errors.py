"""Storage errors. The service maps them to user-facing `AvatarLabError`s; driver exceptions never leak."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for every error raised by `storage`."""

    default_message = "The database could not complete that operation."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFoundError(StorageError):
    """A row (or blob) that the caller named does not exist."""

    default_message = "That item does not exist (any more)."


class ConflictError(StorageError):
    """A uniqueness or reference constraint was violated, or a lease/state no longer holds."""

    default_message = "That conflicts with something that is already stored."


class InvalidValueError(StorageError):
    """A value is outside what the schema accepts (unknown enum value, empty text, bad blob key...)."""

    default_message = "That value is not allowed here."


class DatabaseUnavailableError(StorageError):
    """The database server cannot be reached or refused the connection."""

    default_message = "The database is not reachable right now. Please try again in a moment."


class MigrationError(StorageError):
    """A schema migration failed, or the database schema does not match the models (drift)."""

    default_message = "The database schema is not up to date."
