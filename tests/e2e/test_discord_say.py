"""/say end to end: the real discord.py bot, the stand-in Discord and the real engine service."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.discord.failures import BUSY_NOW
from engine.errors import EmptyText
from engine.service.runner import running_service
from tests.bots.discord.harness import DEFERRED, MESSAGE, Rig, decode, free_port, rig, start_rig
from tests.bots.discord.standin import EPHEMERAL, RESPONSE_DEADLINE_S
from tests.engine.service.harness import FAST, StartService, make_settings, start_service

__all__ = ["rig", "start_service"]

pytestmark = pytest.mark.timeout(120)


async def test_say_in_a_guild_channel_defers_then_posts_a_clip_that_fits(start_service: StartService) -> None:
    limit = 160_000
    async with start_rig(start_service, attachment_size_limit=limit) as live:
        assert live.discord.heartbeats >= 1  # discord.py beats at once after HELLO; the stand-in ACKs it
        assert {c["name"] for c in live.discord.commands[None]} >= {"say", "phrase", "class", "class-setup"}
        await live.use_espeak("student")
        text = "Hello everyone, I'm here."
        interaction = await live.send("say", user="student", channel="general", text=text)

        callback = await live.callback(interaction)
        assert callback.payload["type"] == DEFERRED
        assert not int(callback.payload.get("data", {}).get("flags") or 0) & EPHEMERAL  # the class sees it
        assert callback.at - interaction.sent_at < RESPONSE_DEADLINE_S

        edit = await live.published(interaction)
        assert edit.payload["content"] == text
        assert edit.payload["allowed_mentions"]["parse"] == []  # a message can't ping @everyone
        (clip,) = edit.files
        assert clip.filename == "message.mp4"
        assert len(clip.data) <= limit
        info = decode(clip.data)
        assert info["codecs"] == ["aac", "h264"]
        assert info["video_frames"] > 0 and info["audio_samples"] > 0
        assert info["subtitles"] == ["mov_text"]  # soft captions
        # What the channel shows: one public message with the clip and the words.
        (shown,) = interaction.messages
        assert not shown["flags"] & EPHEMERAL and shown["content"] == text
        assert shown["attachments"][0]["size"] == len(clip.data)


async def test_voice_only_in_a_direct_message(rig: Rig) -> None:
    await rig.use_espeak("classmate")
    interaction = await rig.send(
        "say", user="classmate", channel=None, text="See you tomorrow.", format="voice"
    )
    assert (await rig.callback(interaction)).payload["type"] == DEFERRED
    edit = await rig.published(interaction)
    (clip,) = edit.files
    assert clip.filename == "message.ogg"
    info = decode(clip.data)
    assert info["codecs"] == ["opus"] and info["video_frames"] == 0 and info["audio_samples"] > 0
    assert edit.payload["content"] == "See you tomorrow."


async def test_engine_errors_are_private_and_replace_the_public_placeholder(rig: Rig) -> None:
    await rig.use_espeak("student")
    interaction = await rig.send("say", user="student", channel="general", text="   ")
    answer = await rig.private_answer(interaction)
    assert answer["flags"] & EPHEMERAL
    assert interaction.original_deleted  # nothing about it stays in the channel
    assert answer["content"] == EmptyText().message


async def test_outside_the_allowed_channels_the_answer_is_a_private_explanation(rig: Rig) -> None:
    setup = await rig.send("class-setup", user="manager", channel="general", allow_channel="classroom")
    await rig.private_answer(setup)

    interaction = await rig.send("say", user="student", channel="off-topic", text="Hi")
    callback = await rig.callback(interaction)
    assert callback.payload["type"] == MESSAGE
    assert callback.payload["data"]["flags"] & EPHEMERAL
    assert f"<#{rig.discord.channels['classroom']['id']}>" in callback.payload["data"]["content"]
    assert not [r for r in interaction.requests if r.route != "callback"]  # nothing was rendered

    await rig.use_espeak("student")
    allowed = await rig.send("say", user="student", channel="classroom", text="Hi")
    assert (await rig.published(allowed)).files


async def test_a_busy_engine_keeps_the_interaction_deferred_and_follows_up_when_done(tmp_path: Path) -> None:
    port = free_port()  # the engine is not running yet: every call meets a closed port
    async with start_rig(None, engine_url=f"http://127.0.0.1:{port}") as live:
        interaction = await live.send("say", user="student", channel=None, text="Sorry I'm late.")
        in_class = await live.send("say", user="classmate", channel="classroom", text="Me too.")
        for waiting in (interaction, in_class):  # in a server, even the channel rules can't be read yet
            callback = await live.callback(waiting)
            assert callback.payload["type"] == DEFERRED
            assert callback.at - waiting.sent_at < RESPONSE_DEADLINE_S
            text = await live.until(lambda w=waiting: w.original and w.original["content"])
            assert "busy" in text

        settings = make_settings(tmp_path / "late-engine")
        async with running_service(settings, host="127.0.0.1", port=port, options=FAST) as service:
            assert service.url.endswith(f":{port}")
            edit = await live.published(interaction)
            class_edit = await live.published(in_class)
        assert edit.payload["content"] == "Sorry I'm late."
        assert decode(edit.files[0].data)["video_frames"] > 0
        assert class_edit.payload["content"] == "Me too."
        assert not live.public_messages(in_class)[0]["flags"] & EPHEMERAL


async def test_when_the_engine_stays_busy_the_bot_says_clearly_that_it_could_not() -> None:
    port = free_port()
    async with start_rig(None, engine_url=f"http://127.0.0.1:{port}", window_s=2.5) as live:
        interaction = await live.send("say", user="student", channel=None, text="Hello")
        assert (await live.callback(interaction)).payload["type"] == DEFERRED
        answer = await live.private_answer(interaction)
        assert "couldn't" in answer["content"] and "try again" in answer["content"]
        assert live.public_messages(interaction) == []  # the "busy" placeholder is gone

        # A private command has nothing to come back to: it says at once that it couldn't.
        listing = await live.send("phrase list", user="student", channel="general")
        callback = await live.callback(listing)
        assert callback.payload["type"] == MESSAGE and callback.payload["data"]["flags"] & EPHEMERAL
        assert callback.payload["data"]["content"] == BUSY_NOW


async def test_a_clip_that_cannot_fit_the_upload_limit_is_a_private_specific_error(
    start_service: StartService,
) -> None:
    async with start_rig(start_service, attachment_size_limit=4_000) as live:
        await live.use_espeak("student")
        interaction = await live.send("say", user="student", channel="general", text="Hello there, everyone.")
        answer = await live.private_answer(interaction)
        assert "can't fit" in answer["content"] and "voice-only" in answer["content"]
        assert live.public_messages(interaction) == []
        assert not [r for r in interaction.requests if r.files]  # nothing over the limit was uploaded
