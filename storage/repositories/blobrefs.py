"""Reference-aware blob deletion: a blob goes only when no row in any table mentions its key.

Call `release_blobs` after the transaction that dropped the references has committed; deleting earlier
would leave rows pointing at nothing if that transaction rolled back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blobs import BlobStore
from storage.db import Database, translate_errors
from storage.models import BLOB_COLUMNS

_CHUNK = 500  # keeps IN (...) lists well under SQLite's bound-parameter limit


async def referenced_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of `keys` are still referenced by some row."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = union(*(select(col.label("key")).where(col.in_(chunk)) for col in BLOB_COLUMNS))
        with translate_errors():
            found.update((await session.execute(query)).scalars())
    return found


async def all_referenced_keys(session: AsyncSession) -> set[str]:
    query = union(*(select(col.label("key")).where(col.is_not(None)) for col in BLOB_COLUMNS))
    with translate_errors():
        return set((await session.execute(query)).scalars())


async def release_blobs(db: Database, store: BlobStore, keys: Iterable[str]) -> list[str]:
    """Delete those of `keys` that no row references any more. Returns the keys deleted."""
    keys = sorted({k for k in keys if k})
    if not keys:
        return []
    async with db.session() as session:
        still_used = await referenced_keys(session, keys)
    doomed = [k for k in keys if k not in still_used]
    return await asyncio.to_thread(lambda: [k for k in doomed if store.delete(k)])


async def collect_garbage(db: Database, store: BlobStore, *, min_age_s: float = 3600.0) -> list[str]:
    """Delete every stored blob that no row references and that is older than `min_age_s`.

    Sweeps up blobs written by work that failed before its row was committed; the age limit spares blobs
    whose rows are still being written.
    """
    async with db.session() as session:
        used = await all_referenced_keys(session)

    def sweep() -> list[str]:
        deleted = []
        for key in list(store.keys()):
            if key not in used and store.age_seconds(key) >= min_age_s and store.delete(key):
                deleted.append(key)
        return deleted

    return await asyncio.to_thread(sweep)
