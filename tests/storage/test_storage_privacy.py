"""forget_user erases one person completely and nobody else; export_user hands over everything."""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, or_, select

from storage.blobs import FileBlobStore
from storage.db import Database
from storage.errors import NotFoundError
from storage.models import BLOB_COLUMNS, Base, Consent, GuildMember, JobState, User
from storage.repositories import blobrefs, clips, consent, guilds, jobs, phrases, privacy, profiles, users

MakeUser = Callable[..., Awaitable[int]]


async def _populate(
    db: Database, store: FileBlobStore, uid: int, tag: bytes, shared: str, guild_id: int
) -> None:
    """Give a user one of everything. `shared` is content both users uploaded (same photo)."""
    async with db.session() as s:
        await users.link_identity(s, uid, "discord", f"d-{uid}")
        await profiles.create_voice_profile(
            s,
            uid,
            engine="smalle",
            reference_audio_blob=store.put(b"RIFF voice of " + tag),
            engine_state_blob=store.put(b"state of " + tag),
        )
        await profiles.create_face_profile(
            s, uid, engine="portrait", photo_blob=shared, prepared_face_blob=store.put(b"mesh " + tag)
        )
        await consent.record_consent(s, uid, "voice_cloning", "Yes, clone my voice. " + tag.decode())
        phrase = await phrases.add_phrase(s, uid, "Good morning " + tag.decode())
        await phrases.set_phrase_clip(s, uid, phrase.id, store.put(b"OggS phrase " + tag), "audio/ogg")
        job = await jobs.enqueue_job(s, uid, "render", {"text": "hi " + tag.decode()})
        job.job.result_blob = store.put(b"\x00\x00\x00\x18ftypisom result " + tag)
        sample = store.put(b"RIFF a sample waiting for its enrol job " + tag)
        await jobs.enqueue_job(s, uid, "enrol_voice", {"mime": "audio/wav"}, input_blob=sample)
        await clips.put_cached_clip(s, f"hash-{uid}", uid, store.put(b"cached " + tag), "video/mp4")
        await guilds.set_guild_member(s, guild_id, uid)


async def _rows_about(db: Database, uid: int) -> int:
    total = 0
    async with db.session() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.c if c.name in ("user_id", "grantee_user_id", "granted_by_user_id")]
            if table.name == "users":
                cols = [table.c.id]
            if cols:
                query = select(func.count()).select_from(table).where(or_(*(c == uid for c in cols)))
                total += (await s.execute(query)).scalar_one()
    return total


async def _blob_keys_of(db: Database, uid: int) -> set[str]:
    keys: set[str] = set()
    async with db.session() as s:
        for col in BLOB_COLUMNS:
            rows = await s.execute(select(col).where(col.class_.user_id == uid))  # type: ignore[attr-defined]
            keys.update(k for k in rows.scalars() if k)
    return keys


async def test_forget_user_removes_exactly_their_data(
    db: Database, store: FileBlobStore, make_user: MakeUser
) -> None:
    alice, bob = await make_user("telegram", "a"), await make_user("telegram", "b")
    shared = store.put(b"\x89PNG the same class photo")
    async with db.session() as s:
        guild, _ = await guilds.get_or_create_guild(s, "discord", 1, name="Class")
    await _populate(db, store, alice, b"alice", shared, guild.id)
    await _populate(db, store, bob, b"bob", shared, guild.id)
    async with db.session() as s:  # Bob, as tutor, records consent for Alice, and she lets him act for her
        await consent.record_consent(s, alice, "face_animation", "ok", granted_by_user_id=bob)
        await consent.record_consent(s, alice, "act_for_another", "Bob may", scope="1", grantee_user_id=bob)
    alice_keys, bob_keys = await _blob_keys_of(db, alice), await _blob_keys_of(db, bob)
    bob_rows_before = await _rows_about(db, bob)
    assert shared in alice_keys and shared in bob_keys and len(alice_keys) == 8

    report = await privacy.forget_user(db, store, alice)

    assert await _rows_about(db, alice) == 0
    assert sorted(report.blobs_deleted) == sorted(alice_keys - {shared})
    assert all(not store.exists(k) for k in alice_keys - {shared})
    assert all(store.exists(k) for k in bob_keys)  # the shared photo survives: Bob still uses it
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(User))).scalar_one() == 1
        assert (await guilds.get_guild(s, guild.id)).name == "Class"
        assert [m.user_id for m in (await s.execute(select(GuildMember))).scalars()] == [bob]
        assert (await s.execute(select(func.count()).select_from(Consent))).scalar_one() == 1  # Bob's own
    # Bob lost only the consents that were Alice's (granted by him for her, or letting him act for her).
    assert await _rows_about(db, bob) == bob_rows_before - 2
    with pytest.raises(NotFoundError):
        await privacy.forget_user(db, store, alice)

    await privacy.forget_user(db, store, bob)
    assert list(store.keys()) == []


async def test_export_contains_everything(
    db: Database, store: FileBlobStore, make_user: MakeUser, tmp_path: Path
) -> None:
    alice, bob = await make_user("telegram", "a", username="alice"), await make_user("telegram", "b")
    shared = store.put(b"\x89PNG the same class photo")
    async with db.session() as s:
        guild, _ = await guilds.get_or_create_guild(s, "discord", 1, name="Class")
    await _populate(db, store, alice, b"alice", shared, guild.id)
    await _populate(db, store, bob, b"bob", shared, guild.id)
    async with db.session() as s:
        await consent.record_consent(s, alice, "act_for_another", "Tutors may speak for me.", scope="class-1")

    out = await privacy.export_user(db, store, alice, tmp_path / "exports" / "alice.zip")

    assert not list(out.parent.glob("*.part"))
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        data = {n[5:-5]: json.loads(zf.read(n)) for n in names if n.startswith("data/")}
        media = {n: zf.read(n) for n in names if n.startswith("media/")}
    assert data["user"][0]["display_name"] == "alice"
    expected = {
        "platform_identities": 2,
        "voice_profiles": 1,
        "face_profiles": 1,
        "consents": 2,
        "phrases": 1,
        "jobs": 2,
        "clip_cache": 1,
        "guild_members": 1,
        "guilds": 1,
    }
    assert {k: len(data[k]) for k in expected} == expected
    assert data["jobs"][0]["payload"] == {"text": "hi alice"}
    assert data["consents"][0]["text"] == "Yes, clone my voice. alice"
    assert [c["scope"] for c in data["consents"]] == [None, "class-1"]
    upload_job = data["jobs"][1]
    assert upload_job["input_blob"] and any(
        n.endswith(f"jobs-{upload_job['id']}-input_blob.wav") for n in media
    )
    # Every blob Alice references is in the zip, byte for byte, with a sensible extension; nothing of Bob's.
    assert set(manifest["media"].values()) == await _blob_keys_of(db, alice)
    assert {store.get(k) for k in manifest["media"].values()} == set(media.values())
    assert any(n.endswith("reference_audio_blob.wav") for n in media)
    assert any(n.endswith("photo_blob.png") for n in media)
    assert not any(b"bob" in blob for blob in media.values())
    with pytest.raises(NotFoundError):
        await privacy.export_user(db, store, 999_999, tmp_path / "nobody.zip")
    assert not (tmp_path / "nobody.zip").exists()


async def test_release_and_garbage_collection(
    db: Database, store: FileBlobStore, make_user: MakeUser
) -> None:
    uid = await make_user()
    used, orphan = store.put(b"used"), store.put(b"left by a failed job")
    async with db.session() as s:
        phrase = await phrases.add_phrase(s, uid, "hi")
        await phrases.set_phrase_clip(s, uid, phrase.id, used, "audio/ogg")
    assert await blobrefs.release_blobs(db, store, [used, orphan]) == [orphan]
    assert store.exists(used)
    orphan = store.put(b"another orphan")
    assert await blobrefs.collect_garbage(db, store, min_age_s=3600) == []  # too fresh: may be mid-write
    assert await blobrefs.collect_garbage(db, store, min_age_s=0) == [orphan]
    assert store.exists(used)


def _age(store: FileBlobStore, key: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(store.path(key), (then, then))


async def test_an_upload_waiting_in_the_queue_survives_the_sweep(
    db: Database, store: FileBlobStore, make_user: MakeUser
) -> None:
    uid = await make_user()
    photo = store.put(b"\x89PNG a photo queued for preparation")
    async with db.session() as s:
        queued = await jobs.enqueue_job(s, uid, "prepare_face", {"mime": "image/png"}, input_blob=photo)
        assert await blobrefs.referenced_keys(s, [photo]) == {photo}
    _age(store, photo, 2 * 3600)  # the queue was busy for two hours
    assert await blobrefs.collect_garbage(db, store, min_age_s=3600) == []
    assert await blobrefs.release_blobs(db, store, [photo]) == []
    assert store.exists(photo)

    # A retry keeps the upload; the final failure lets go of it, and then it may go.
    async with db.session() as s:
        assert (await jobs.claim_next_job(s, "w1")) is not None
    async with db.session() as s:
        retried = await jobs.fail_job(s, queued.job.id, "w1", "busy", retryable=True, backoff_base_s=0.0)
        assert retried.state is JobState.QUEUED and retried.input_blob == photo
    assert await blobrefs.collect_garbage(db, store, min_age_s=3600) == []
    async with db.session() as s:
        assert (await jobs.claim_next_job(s, "w1")) is not None
    async with db.session() as s:
        failed = await jobs.fail_job(s, queued.job.id, "w1", "no face", retryable=False)
        assert failed.state is JobState.FAILED and failed.input_blob is None
    assert await blobrefs.collect_garbage(db, store, min_age_s=3600) == [photo]
