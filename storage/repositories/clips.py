"""Clip cache: rendered media by request hash (the service hashes text + voice + face + output settings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blobs import validate_key
from storage.db import translate_errors
from storage.models import ClipCacheEntry
from storage.repositories._common import check_json, clean_text, flush, now_or
from storage.repositories.users import get_user


async def get_cached_clip(
    session: AsyncSession, request_hash: str, *, now: datetime | None = None
) -> ClipCacheEntry | None:
    """The cached clip for this request, marking it used; None on a miss."""
    with translate_errors():
        entry = await session.get(ClipCacheEntry, request_hash)
    if entry is not None:
        entry.last_used_at = now_or(now)
        await flush(session)
    return entry


async def put_cached_clip(
    session: AsyncSession,
    request_hash: str,
    user_id: int,
    blob: str,
    mime: str,
    *,
    size_bytes: int = 0,
    meta: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[ClipCacheEntry, list[str]]:
    """Cache a clip (replacing any entry for the hash). Returns (entry, replaced blob keys to release)."""
    request_hash = clean_text(request_hash, "request hash", 128)
    validate_key(blob)
    mime = clean_text(mime, "media type", 100)
    await get_user(session, user_id)
    now = now_or(now)
    with translate_errors():
        entry = await session.get(ClipCacheEntry, request_hash)
    replaced: list[str] = []
    if entry is None:
        entry = ClipCacheEntry(request_hash=request_hash, created_at=now)
        session.add(entry)
    elif entry.blob != blob:
        replaced.append(entry.blob)
    entry.user_id, entry.blob, entry.mime = user_id, blob, mime
    entry.size_bytes, entry.meta, entry.last_used_at = (
        int(size_bytes),
        check_json(meta or {}, "clip details"),
        now,
    )
    await flush(session)
    return entry, replaced


async def evict_clips(session: AsyncSession, *, unused_since: datetime) -> list[str]:
    """Drop entries not used since `unused_since`; returns their blob keys to release after commit."""
    with translate_errors():
        rows = await session.execute(
            delete(ClipCacheEntry)
            .where(ClipCacheEntry.last_used_at < now_or(unused_since))
            .returning(ClipCacheEntry.blob)
        )
    return sorted(set(rows.scalars()))
