"""Helpers shared by the repositories: dialect-aware INSERT, validation, row lookup."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import translate_errors
from storage.errors import InvalidValueError, NotFoundError
from storage.models import Base

ModelT = TypeVar("ModelT", bound=Base)
EnumT = TypeVar("EnumT", bound=enum.StrEnum)


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert_insert(session: AsyncSession, model: type[Base]) -> Any:
    """An INSERT that supports `.on_conflict_do_nothing/do_update` on both backends."""
    table = model.__table__
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def now_or(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise InvalidValueError("Timestamps must carry a timezone.")
    return now.astimezone(UTC)


def as_enum(cls: type[EnumT], value: EnumT | str, what: str) -> EnumT:
    try:
        return cls(value)
    except ValueError as err:
        choices = ", ".join(m.value for m in cls)
        raise InvalidValueError(f"Unknown {what} {value!r}; choose one of: {choices}.") from err


def clean_text(value: str, what: str, max_len: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(f"The {what} cannot be empty.")
    value = value.strip()
    if max_len is not None and len(value) > max_len:
        raise InvalidValueError(f"The {what} is too long ({len(value)} characters; at most {max_len}).")
    return value


def check_json(value: Any, what: str) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as err:
        raise InvalidValueError(f"The {what} must be plain JSON data.") from err
    return value


async def get_or_404(session: AsyncSession, model: type[ModelT], key: Any, what: str) -> ModelT:
    with translate_errors():
        row = await session.get(model, key)
    if row is None:
        raise NotFoundError(f"That {what} does not exist (any more).")
    return row


async def flush(session: AsyncSession) -> None:
    with translate_errors():
        await session.flush()
