"""A person's rights over their data: `forget_user` erases it, `export_user` hands them a copy."""

from __future__ import annotations

import asyncio
import enum
import json
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blobs import BlobStore
from storage.db import Database, translate_errors
from storage.errors import NotFoundError, StorageError
from storage.models import (
    BLOB_COLUMNS,
    Base,
    ClipCacheEntry,
    Consent,
    FaceProfile,
    Guild,
    GuildMember,
    Job,
    Phrase,
    PlatformIdentity,
    User,
    VoiceProfile,
)
from storage.repositories.blobrefs import release_blobs
from storage.repositories.users import get_user

# Tables whose rows belong to exactly one user through `user_id`, children before parents.
_OWNED = (ClipCacheEntry, Job, Phrase, GuildMember, FaceProfile, VoiceProfile, PlatformIdentity)


@dataclass
class ForgetReport:
    user_id: int
    rows_deleted: dict[str, int] = field(default_factory=dict)
    blobs_deleted: list[str] = field(default_factory=list)


async def _user_blob_keys(session: AsyncSession, user_id: int) -> set[str]:
    keys: set[str] = set()
    for col in BLOB_COLUMNS:
        owner = col.class_.user_id  # type: ignore[attr-defined]
        with translate_errors():
            keys.update(
                k for k in (await session.execute(select(col).where(owner == user_id))).scalars() if k
            )
    return keys


async def forget_user(db: Database, store: BlobStore, user_id: int) -> ForgetReport:
    """Delete every row about `user_id` and every blob only they referenced; nothing else.

    Blobs with the same content as another user's media survive (the other rows still reference them).
    Consent records this user made for someone else keep existing (they are that person's) but no longer
    name this user.
    """
    report = ForgetReport(user_id)
    async with db.session() as session:
        await get_user(session, user_id)
        keys = await _user_blob_keys(session, user_id)
        with translate_errors():
            for model in _OWNED:
                result = await session.execute(delete(model).where(model.user_id == user_id))
                report.rows_deleted[model.__tablename__] = int(result.rowcount or 0)
            result = await session.execute(
                delete(Consent).where(or_(Consent.user_id == user_id, Consent.grantee_user_id == user_id))
            )
            report.rows_deleted[Consent.__tablename__] = int(result.rowcount or 0)
            await session.execute(
                update(Consent).where(Consent.granted_by_user_id == user_id).values(granted_by_user_id=None)
            )
            await session.execute(
                update(Consent).where(Consent.revoked_by_user_id == user_id).values(revoked_by_user_id=None)
            )
            result = await session.execute(delete(User).where(User.id == user_id))
            report.rows_deleted[User.__tablename__] = int(result.rowcount or 0)
    report.blobs_deleted = await release_blobs(db, store, keys)
    return report


def _row_dict(row: Base) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in inspect(row).mapper.column_attrs:
        value = getattr(row, attr.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, enum.Enum):
            value = value.value
        out[attr.key] = value
    return out


_MAGIC = (
    (b"RIFF", ".wav"),
    (b"OggS", ".ogg"),
    (b"\x89PNG", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"fLaC", ".flac"),
    (b"ID3", ".mp3"),
    (b"PK\x03\x04", ".zip"),
    (b"\x1aE\xdf\xa3", ".webm"),
)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _extension(data: bytes) -> str:
    """A helpful file extension for the person opening their export."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    if data[4:8] == b"ftyp":
        return ".heic" if data[8:12] in (b"heic", b"heix", b"mif1") else ".mp4"
    return ".bin"


async def export_user(db: Database, store: BlobStore, user_id: int, dest: str | os.PathLike[str]) -> Path:
    """Write a zip of everything we hold about `user_id` to `dest`: rows as JSON under data/, their media
    (recordings, photos, rendered clips, engine data) under media/, and manifest.json. Written atomically."""
    dest = Path(dest)
    tables: dict[str, list[dict[str, Any]]] = {}
    media: dict[str, str] = {}  # archive name -> blob key
    async with db.session() as session:
        user = await get_user(session, user_id)
        tables["user"] = [_row_dict(user)]
        with translate_errors():
            for model in _OWNED:
                rows = (
                    await session.execute(
                        select(model).where(model.user_id == user_id).order_by(*model.__mapper__.primary_key)
                    )
                ).scalars()
                tables[model.__tablename__] = [_row_dict(r) for r in rows]
            consents = (
                await session.execute(
                    select(Consent)
                    .where(
                        or_(
                            Consent.user_id == user_id,
                            Consent.grantee_user_id == user_id,
                            Consent.granted_by_user_id == user_id,
                        )
                    )
                    .order_by(Consent.id)
                )
            ).scalars()
            tables[Consent.__tablename__] = [_row_dict(c) for c in consents]
            guilds = await session.execute(
                select(Guild.id, Guild.platform, Guild.platform_guild_id, Guild.name)
                .join(GuildMember, GuildMember.guild_id == Guild.id)
                .where(GuildMember.user_id == user_id)
                .order_by(Guild.id)
            )
            tables["guilds"] = [
                {"id": g, "platform": p.value, "platform_guild_id": pg, "name": n} for g, p, pg, n in guilds
            ]
    for col in BLOB_COLUMNS:
        table = col.class_.__tablename__  # type: ignore[attr-defined]
        for row in tables.get(table, []):
            key = row.get(col.key)
            if key:
                row_id = row.get("id") or row.get("request_hash")
                media[f"media/{table}-{row_id}-{col.key}"] = key

    def write() -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        files: dict[str, str] = {}
        try:
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for name, rows in tables.items():
                    zf.writestr(f"data/{name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
                for base, key in media.items():
                    try:
                        src = store.open(key)
                    except NotFoundError:
                        continue  # a row pointing at a missing blob: export what exists
                    with src:
                        name = base + _extension(src.read(16))
                        src.seek(0)
                        # Streamed: per-user model weights can be far larger than memory should hold.
                        with zf.open(
                            zipfile.ZipInfo(name, date_time=_zip_time()), "w", force_zip64=True
                        ) as out:
                            shutil.copyfileobj(src, out, 1 << 20)
                    files[name] = key
                manifest = {
                    "format": "avatarlab-export/1",
                    "user_id": user_id,
                    "exported_at": datetime.now(UTC).isoformat(),
                    "tables": {name: len(rows) for name, rows in tables.items()},
                    "media": files,
                }
                zf.writestr("manifest.json", json.dumps(manifest, indent=2))
            os.replace(part, dest)
        except OSError as err:
            part.unlink(missing_ok=True)
            raise StorageError("Could not write the export file.") from err
        return dest

    return await asyncio.to_thread(write)
