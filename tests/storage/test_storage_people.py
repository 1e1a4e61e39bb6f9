"""Users, identities, settings, profiles, consent, phrases and guilds — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import update

from storage.blobs import FileBlobStore
from storage.db import Database
from storage.errors import ConflictError, InvalidValueError, NotFoundError
from storage.models import CaptionsMode, ConsentPurpose, OutputFormat, VoiceProfile
from storage.repositories import consent, guilds, phrases, profiles, users

MakeUser = Callable[..., Awaitable[int]]


async def test_get_or_create_user_and_link_both_platforms(db: Database) -> None:
    async with db.session() as s:
        user, created = await users.get_or_create_user(s, "telegram", 1001, username="ann")
        assert created and user.display_name == "ann"
        again, created_again = await users.get_or_create_user(s, "telegram", "1001")
        assert again.id == user.id and not created_again
        await users.link_identity(s, user.id, "discord", "55555")
        assert (await users.find_user_by_identity(s, "discord", 55555)).id == user.id  # type: ignore[union-attr]
        assert [i.platform.value for i in await users.list_identities(s, user.id)] == ["telegram", "discord"]
        other, _ = await users.get_or_create_user(s, "telegram", 2002)
        with pytest.raises(ConflictError):
            await users.link_identity(s, other.id, "discord", "55555")
        with pytest.raises(InvalidValueError):
            await users.get_or_create_user(s, "myspace", 1)
        with pytest.raises(InvalidValueError):
            await users.get_or_create_user(s, "telegram", "   ")


async def test_concurrent_first_contact_makes_one_user(db: Database) -> None:
    async def first_message() -> int:
        async with db.session() as s:
            user, _ = await users.get_or_create_user(s, "discord", "777")
            return user.id

    ids = await asyncio.gather(*(first_message() for _ in range(4)), return_exceptions=True)
    winners = {i for i in ids if isinstance(i, int)}
    assert len(winners) == 1, ids
    # A loser may be told to retry (ConflictError), never a driver exception.
    assert all(isinstance(i, int | ConflictError) for i in ids), ids


async def test_user_settings(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    async with db.session() as s:
        user = await users.get_user(s, uid)
        assert user.output_format is OutputFormat.VIDEO and user.captions is CaptionsMode.SOFT
        await users.update_user_settings(s, uid, output_format="video_note", captions="burn", language="de")
    async with db.session() as s:
        user = await users.get_user(s, uid)
        assert (user.output_format, user.captions, user.language) == (
            OutputFormat.VIDEO_NOTE,
            CaptionsMode.BURN,
            "de",
        )
        with pytest.raises(InvalidValueError, match="output format"):
            await users.update_user_settings(s, uid, output_format="hologram")
        with pytest.raises(NotFoundError):
            await users.get_user(s, 999_999)


async def test_profiles_one_active_and_blob_bookkeeping(
    db: Database, store: FileBlobStore, make_user: MakeUser
) -> None:
    uid = await make_user()
    other = await make_user("discord", "9")
    ref, state = store.put(b"RIFF reference"), store.put(b"smalle state")
    async with db.session() as s:
        first = await profiles.create_voice_profile(s, uid, engine="piper", voice_id="joe")
        second = await profiles.create_voice_profile(
            s, uid, engine="smalle", reference_audio_blob=ref, engine_state_blob=state, rate=1.2
        )
        assert (await profiles.get_active_voice_profile(s, uid)).id == second.id  # type: ignore[union-attr]
        await profiles.activate_voice_profile(s, uid, first.id)
        assert (await profiles.get_active_voice_profile(s, uid)).id == first.id  # type: ignore[union-attr]
        _, dropped = await profiles.update_voice_profile(s, uid, second.id, engine_state_blob=None, pitch=2.0)
        assert dropped == [state]
        with pytest.raises(InvalidValueError):
            await profiles.update_voice_profile(s, uid, second.id, rate=50)
        with pytest.raises(InvalidValueError):
            await profiles.update_voice_profile(s, uid, second.id, owner="someone else")
        with pytest.raises(NotFoundError):
            await profiles.get_voice_profile(s, other, first.id)  # not theirs
        face = await profiles.create_face_profile(s, uid, engine="cartoon", style="robot")
        assert (await profiles.get_active_face_profile(s, uid)).id == face.id  # type: ignore[union-attr]
        assert await profiles.delete_voice_profile(s, uid, second.id) == [ref]
    # The database itself refuses two active profiles, whatever code writes it.
    with pytest.raises(ConflictError):
        async with db.session() as s:
            await profiles.create_voice_profile(s, uid, engine="espeak", activate=False)
            await s.execute(update(VoiceProfile).where(VoiceProfile.user_id == uid).values(is_active=True))


async def test_consent_record_check_revoke(db: Database, make_user: MakeUser) -> None:
    person, tutor = await make_user("discord", "1"), await make_user("discord", "2")
    async with db.session() as s:
        assert not await consent.has_active_consent(s, person, ConsentPurpose.VOICE_CLONING)
        await consent.record_consent(s, person, "voice_cloning", "I agree that my voice is cloned.")
        await consent.record_consent(
            s,
            person,
            "act_for_another",
            "Tutor may speak for me.",
            scope="class-1",
            grantee_user_id=tutor,
            granted_by_user_id=tutor,
        )
        assert await consent.has_active_consent(s, person, "voice_cloning")
        assert await consent.has_active_consent(
            s, person, "act_for_another", scope="class-1", grantee_user_id=tutor
        )
        assert not await consent.has_active_consent(s, person, "act_for_another")  # not unscoped
        assert not await consent.has_active_consent(s, tutor, "act_for_another", grantee_user_id=person)
        with pytest.raises(InvalidValueError):
            await consent.record_consent(s, person, "act_for_another", "nowhere in particular")
        with pytest.raises(InvalidValueError):
            await consent.record_consent(s, person, "voice_cloning", "  ")
        assert await consent.revoke_consent(s, person, "voice_cloning", revoked_by_user_id=person) == 1
        assert not await consent.has_active_consent(s, person, "voice_cloning")
        assert await consent.revoke_consent(s, person, "voice_cloning") == 0
        history = await consent.list_consents(s, person)
        assert [c.revoked_at is not None for c in history] == [True, False]
        assert history[0].text == "I agree that my voice is cloned."


async def test_consent_scopes(db: Database, make_user: MakeUser) -> None:
    person, tutor, other = [await make_user("discord", str(n)) for n in (1, 2, 3)]
    async with db.session() as s:
        for server in ("server-a", "server-b"):  # every tutor of the server, nobody named
            await consent.record_consent(s, person, "act_for_another", f"Tutors of {server}.", scope=server)
        await consent.record_consent(
            s, person, "act_for_another", "Only him.", scope="server-c", grantee_user_id=tutor
        )
        await consent.record_consent(s, person, "voice_cloning", "Clone my voice.")

        assert await consent.has_active_consent(s, person, "act_for_another", scope=" server-a ")
        assert await consent.has_active_consent(
            s, person, "act_for_another", scope="server-a", grantee_user_id=other
        )
        assert await consent.has_active_consent(
            s, person, "act_for_another", scope="server-c", grantee_user_id=tutor
        )
        assert not await consent.has_active_consent(
            s, person, "act_for_another", scope="server-c", grantee_user_id=other
        )
        assert not await consent.has_active_consent(s, person, "act_for_another", scope="server-z")
        assert not await consent.has_active_consent(s, person, "voice_cloning", scope="server-a")
        assert await consent.has_active_consent(s, person, "voice_cloning", scope=consent.ANY_SCOPE)
        found = await consent.get_active_consent(s, person, "act_for_another", scope="server-b")
        assert found is not None and found.scope == "server-b" and found.text == "Tutors of server-b."

        assert [c.scope for c in await consent.list_consents(s, person)] == [
            "server-a",
            "server-b",
            "server-c",
            None,
        ]
        assert [c.text for c in await consent.list_consents(s, person, scope=None)] == ["Clone my voice."]
        assert len(await consent.list_consents(s, person, scope="server-c")) == 1

        assert await consent.revoke_consent(s, person, "act_for_another", scope="server-z") == 0
        assert await consent.revoke_consent(s, person, "act_for_another") == 0  # none is unscoped
        assert await consent.revoke_consent(s, person, "act_for_another", scope="server-a") == 1
        assert not await consent.has_active_consent(s, person, "act_for_another", scope="server-a")
        assert await consent.has_active_consent(s, person, "act_for_another", scope="server-b")
        assert await consent.revoke_consent(s, person, "act_for_another", scope=consent.ANY_SCOPE) == 2
        assert not await consent.has_active_consent(s, person, "act_for_another", scope=consent.ANY_SCOPE)
        assert await consent.has_active_consent(s, person, "voice_cloning")

        for bad in ("", "   ", "x" * 101):
            with pytest.raises(InvalidValueError):
                await consent.record_consent(s, person, "act_for_another", "ok", scope=bad)
            with pytest.raises(InvalidValueError):
                await consent.has_active_consent(s, person, "act_for_another", scope=bad)


async def test_phrase_book(db: Database, store: FileBlobStore, make_user: MakeUser) -> None:
    uid = await make_user()
    clip = store.put(b"\x00\x00\x00\x18ftypmp42 clip")
    async with db.session() as s:
        hello = await phrases.add_phrase(s, uid, "Hello!", category="greetings")
        thanks = await phrases.add_phrase(s, uid, "Thank you", category="greetings")
        water = await phrases.add_phrase(s, uid, "  I need water  ", category="needs")
        assert water.text == "I need water"
        assert [p.id for p in await phrases.list_phrases(s, uid)] == [hello.id, thanks.id, water.id]
        assert await phrases.list_categories(s, uid) == ["greetings", "needs"]
        await phrases.reorder_phrases(s, uid, [water.id, hello.id, thanks.id])
        assert [p.id for p in await phrases.list_phrases(s, uid)] == [water.id, hello.id, thanks.id]
        with pytest.raises(InvalidValueError):
            await phrases.reorder_phrases(s, uid, [water.id, hello.id])
        await phrases.move_phrase(s, uid, thanks.id, 0)
        assert [p.position for p in await phrases.list_phrases(s, uid)] == [0, 1, 2]
        assert (await phrases.list_phrases(s, uid))[0].id == thanks.id
        used = await phrases.record_phrase_use(s, uid, hello.id)
        assert used.use_count == 1 and used.last_used_at is not None
        await phrases.set_phrase_clip(s, uid, hello.id, clip, "video/mp4")
        _, dropped = await phrases.update_phrase(s, uid, hello.id, text="Hello there!")
        assert dropped == [clip] and (await phrases.get_phrase(s, uid, hello.id)).clip_blob is None
        await phrases.delete_phrase(s, uid, thanks.id)
        assert [p.position for p in await phrases.list_phrases(s, uid)] == [0, 1]
        with pytest.raises(InvalidValueError):
            await phrases.add_phrase(s, uid, "")
        with pytest.raises(NotFoundError):
            await phrases.delete_phrase(s, uid, thanks.id)


async def test_guild_settings_and_members(db: Database, make_user: MakeUser) -> None:
    tutor, pupil = await make_user("discord", "10"), await make_user("discord", "11")
    async with db.session() as s:
        guild, created = await guilds.get_or_create_guild(s, "discord", 123, name="Class 4B")
        assert created
        assert (await guilds.get_or_create_guild(s, "discord", "123"))[0].id == guild.id
        await guilds.update_guild_settings(
            s, guild.id, tutor_role_ids=[555], allowed_channel_ids=["1", "2"], default_output_format="voice"
        )
        await guilds.set_guild_member(s, guild.id, tutor, "tutor")
        await guilds.set_guild_member(s, guild.id, pupil)
        assert await guilds.is_tutor(s, guild.id, tutor) and not await guilds.is_tutor(s, guild.id, pupil)
        assert [m.user_id for m in await guilds.list_guild_members(s, guild.id, role="member")] == [pupil]
        with pytest.raises(InvalidValueError):
            await guilds.update_guild_settings(s, guild.id, default_captions="sideways")
    async with db.session() as s:
        fresh = await guilds.get_guild(s, guild.id)
        assert fresh.tutor_role_ids == ["555"] and fresh.allowed_channel_ids == ["1", "2"]
        assert fresh.default_output_format is OutputFormat.VOICE
        await guilds.update_guild_settings(s, guild.id, default_output_format=None)
        assert (await guilds.get_guild(s, guild.id)).default_output_format is None
        assert await guilds.remove_guild_member(s, guild.id, pupil)
        assert not await guilds.remove_guild_member(s, guild.id, pupil)
