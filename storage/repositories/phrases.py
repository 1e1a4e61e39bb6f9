"""The phrase book: saved phrases in a user-chosen order, with use counts and a cached rendering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blobs import validate_key
from storage.db import translate_errors
from storage.errors import InvalidValueError, NotFoundError
from storage.models import Phrase
from storage.repositories._common import clean_text, flush, get_or_404, now_or
from storage.repositories.users import get_user

MAX_PHRASE_CHARS = 2000
MAX_CATEGORY_CHARS = 100


def _category(value: str | None) -> str | None:
    return None if value is None or not value.strip() else clean_text(value, "category", MAX_CATEGORY_CHARS)


async def list_phrases(session: AsyncSession, user_id: int, *, category: str | None = None) -> list[Phrase]:
    """The user's phrases in their order (optionally one category)."""
    query = select(Phrase).where(Phrase.user_id == user_id)
    if category is not None:
        query = query.where(Phrase.category == _category(category))
    with translate_errors():
        rows = await session.execute(query.order_by(Phrase.position, Phrase.id))
    return list(rows.scalars())


async def list_categories(session: AsyncSession, user_id: int) -> list[str]:
    with translate_errors():
        rows = await session.execute(
            select(Phrase.category)
            .where(Phrase.user_id == user_id, Phrase.category.is_not(None))
            .group_by(Phrase.category)
            .order_by(func.min(Phrase.position))
        )
    return [c for c in rows.scalars() if c is not None]


async def get_phrase(session: AsyncSession, user_id: int, phrase_id: int) -> Phrase:
    phrase = await get_or_404(session, Phrase, phrase_id, "phrase")
    if phrase.user_id != user_id:
        raise NotFoundError("That phrase does not exist (any more).")
    return phrase


async def add_phrase(
    session: AsyncSession, user_id: int, text: str, *, category: str | None = None
) -> Phrase:
    """Append a phrase at the end of the user's list."""
    await get_user(session, user_id)
    with translate_errors():
        last = (
            await session.execute(select(func.max(Phrase.position)).where(Phrase.user_id == user_id))
        ).scalar_one()
    phrase = Phrase(
        user_id=user_id,
        text=clean_text(text, "phrase", MAX_PHRASE_CHARS),
        category=_category(category),
        position=0 if last is None else last + 1,
    )
    session.add(phrase)
    await flush(session)
    return phrase


async def update_phrase(
    session: AsyncSession,
    user_id: int,
    phrase_id: int,
    *,
    text: str | None = None,
    category: str | None = None,
) -> tuple[Phrase, list[str]]:
    """Edit text and/or category ("" clears the category).

    A new text drops the cached clip; returns (phrase, dropped blob keys to release after commit)."""
    phrase = await get_phrase(session, user_id, phrase_id)
    dropped: list[str] = []
    if text is not None:
        new_text = clean_text(text, "phrase", MAX_PHRASE_CHARS)
        if new_text != phrase.text:
            phrase.text = new_text
            if phrase.clip_blob:
                dropped.append(phrase.clip_blob)
            phrase.clip_blob = phrase.clip_mime = None
    if category is not None:
        phrase.category = _category(category)
    await flush(session)
    return phrase, dropped


async def delete_phrase(session: AsyncSession, user_id: int, phrase_id: int) -> list[str]:
    """Delete it and close the gap in positions; returns blob keys to release after commit."""
    phrase = await get_phrase(session, user_id, phrase_id)
    keys = [phrase.clip_blob] if phrase.clip_blob else []
    await session.delete(phrase)
    await flush(session)
    await _renumber(session, user_id, [p.id for p in await list_phrases(session, user_id)])
    return keys


async def reorder_phrases(session: AsyncSession, user_id: int, ordered_ids: Sequence[int]) -> list[Phrase]:
    """Put the phrases in exactly this order; `ordered_ids` must list each of the user's phrases once."""
    current = {p.id for p in await list_phrases(session, user_id)}
    if len(ordered_ids) != len(set(ordered_ids)) or set(ordered_ids) != current:
        raise InvalidValueError("The new order must list each of your saved phrases exactly once.")
    return await _renumber(session, user_id, list(ordered_ids))


async def move_phrase(session: AsyncSession, user_id: int, phrase_id: int, new_index: int) -> list[Phrase]:
    """Move one phrase to `new_index` (0-based, clamped to the list), shifting the others."""
    ids = [p.id for p in await list_phrases(session, user_id)]
    if phrase_id not in ids:
        raise NotFoundError("That phrase does not exist (any more).")
    ids.remove(phrase_id)
    ids.insert(max(0, min(new_index, len(ids))), phrase_id)
    return await _renumber(session, user_id, ids)


async def _renumber(session: AsyncSession, user_id: int, ordered_ids: list[int]) -> list[Phrase]:
    phrases = {p.id: p for p in await list_phrases(session, user_id)}
    for position, pid in enumerate(ordered_ids):
        phrases[pid].position = position
    await flush(session)
    return [phrases[pid] for pid in ordered_ids]


async def record_phrase_use(
    session: AsyncSession, user_id: int, phrase_id: int, *, now: datetime | None = None
) -> Phrase:
    phrase = await get_phrase(session, user_id, phrase_id)
    phrase.use_count += 1
    phrase.last_used_at = now_or(now)
    await flush(session)
    return phrase


async def set_phrase_clip(
    session: AsyncSession, user_id: int, phrase_id: int, blob: str | None, mime: str | None = None
) -> tuple[Phrase, list[str]]:
    """Cache (or clear, with None) the rendered clip. Returns the replaced blob key, if any, to release."""
    phrase = await get_phrase(session, user_id, phrase_id)
    if blob is not None:
        validate_key(blob)
        if not mime:
            raise InvalidValueError("A cached clip needs its media type.")
    old = [phrase.clip_blob] if phrase.clip_blob and phrase.clip_blob != blob else []
    phrase.clip_blob, phrase.clip_mime = blob, (mime if blob else None)
    await flush(session)
    return phrase, old
