"""End to end: the real Telegram Application (polling) against the stand-in Bot API on 127.0.0.1, the real
engine service on 127.0.0.1, and real media. The tests script updates and check what the bot sends."""

from __future__ import annotations

import io
import socket
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "engine.service.runner",
    reason="the engine service is not importable in this checkout",
    exc_type=ImportError,
)

from bots.common import messages
from bots.common.consent import FACE_ANIMATION, VOICE_CLONING
from tests.bots.telegram import updates
from tests.bots.telegram.botapi import StandInBotAPI
from tests.bots.telegram.engine_service import TOKEN, engine_service
from tests.bots.telegram.harness import running_bot
from tests.bots.telegram.media import probe, voice_note_from

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def botapi() -> AsyncIterator[StandInBotAPI]:
    server = StandInBotAPI()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[str]:
    async with engine_service(tmp_path / "engine") as url:
        yield url


def buttons(call: Any) -> dict[str, str]:
    """callback_data → label of the inline keyboard a call carried."""
    markup = call.params.get("reply_markup") or {}
    return {b["callback_data"]: b["text"] for row in markup.get("inline_keyboard", []) for b in row}


def last_text(botapi: StandInBotAPI) -> Any:
    return botapi.sent("sendMessage", "editMessageText")[-1]


async def send(
    botapi: StandInBotAPI, update: dict[str, Any], expect: str = "sendMessage", timeout: float = 60
) -> Any:
    """Deliver `update` and return the next `expect` call the bot makes after it."""
    before = len(botapi.sent(expect))
    botapi.push(update)
    return (await botapi.wait_sent(expect, before + 1, timeout))[-1]


async def tap(botapi: StandInBotAPI, call: Any, data: str, expect: str = "editMessageText") -> Any:
    """Tap the button `data` under the message the bot sent in `call`; returns the bot's next `expect`."""
    assert data in buttons(call), f"no button {data!r} in {buttons(call)}"
    before = len(botapi.sent(expect))
    botapi.push(updates.callback(data, on=call.result))
    return (await botapi.wait_sent(expect, before + 1))[-1]


async def onboard(botapi: StandInBotAPI) -> None:
    """/start, English, an espeak voice (the quickest engine on a CPU)."""
    welcome = await send(botapi, updates.command("start"))
    assert welcome.params["text"] == messages.WELCOME
    voices = await tap(botapi, welcome, "lang:1:en")
    espeak = next((d for d in buttons(voices) if d.startswith("vset:1:espeak:")), None)
    assert espeak is not None, f"no espeak voice offered: {buttons(voices)}"
    ready = await tap(botapi, voices, espeak)
    assert ready.params["text"].endswith(messages.READY)


async def settings(botapi: StandInBotAPI, data: str) -> None:
    menu = await send(botapi, updates.command("settings"))
    await tap(botapi, menu, data)


async def test_a_message_comes_back_as_voice_then_video(botapi: StandInBotAPI, engine: str) -> None:
    async with running_bot(botapi, engine, TOKEN):
        await onboard(botapi)
        botapi.fail_next("sendVoice", retry_after=1)  # Telegram's flood control, once
        text = "Hello! Could you open the window, please?"
        update = updates.text(text)
        botapi.push(update)
        videos = await botapi.wait_sent("sendVideo")
        botapi.push(update)  # re-delivered: must not produce a second clip
        botapi.push(updates.command("help"))
        await botapi.wait_for(lambda _c: last_text(botapi).params["text"].startswith("Type a message"))

    voice_tries = [c for c in botapi.calls if c.method == "sendVoice"]
    assert [c.answered for c in voice_tries] == [429, 200]
    assert voice_tries[1].at - voice_tries[0].at >= 0.95
    voice, video = voice_tries[1], videos[0]
    assert len(botapi.sent("sendVoice")) == 1 and len(botapi.sent("sendVideo")) == 1
    assert voice.at < video.at
    # What the person sees: the text in both captions, a button to keep it as a phrase.
    assert voice.params["caption"] == text and video.params["caption"] == text
    assert "save" in buttons(voice)
    assert video.params["supports_streaming"] == "true"
    # Real media: an OGG/Opus voice note and an H.264/AAC MP4 of about the same length.
    heard, seen = probe(voice.files["voice"].data), probe(video.files["video"].data)
    assert heard.container == "ogg" and heard.audio_codec == "opus" and 1.0 < heard.duration_s < 10
    assert seen.video_codec == "h264" and seen.audio_codec == "aac" and "mp4" in seen.container
    assert abs(seen.duration_s - heard.duration_s) < 0.5
    assert int(voice.params["duration"]) == round(heard.duration_s)
    assert (int(video.params["width"]), int(video.params["height"])) == (seen.width, seen.height)
    # The "recording voice" action came first, then "sending video", while the clip was made.
    actions = [c.params["action"] for c in botapi.sent("sendChatAction") if c.at < video.at]
    assert actions[0] == "record_voice" and "upload_video" in actions


async def test_phrase_book_one_tap_and_inline(botapi: StandInBotAPI, engine: str) -> None:
    async with running_bot(botapi, engine, TOKEN):
        await onboard(botapi)
        await settings(botapi, "set:output:voice")
        spoken = await send(botapi, updates.text("I need a break, please."), expect="sendVoice")
        saved = await tap(botapi, spoken, "save", expect="answerCallbackQuery")
        assert saved.params["text"].startswith("Saved")
        twice = await tap(botapi, spoken, "save", expect="answerCallbackQuery")
        assert twice.params["text"] == messages.PHRASE_EXISTS
        botapi.push(updates.command("save", "Thank you very much."))
        await botapi.wait_for(lambda _c: last_text(botapi).params["text"].startswith("Saved"))

        book = await send(botapi, updates.command("phrases"))
        labels = buttons(book)
        assert list(labels.values())[:2] == ["I need a break, please.", "Thank you very much."]
        say_first = next(d for d, label in labels.items() if label.startswith("I need"))
        # Before the phrase was ever sent, inline mode can only offer it as text.
        first_answer = await send(botapi, updates.inline("break"), expect="answerInlineQuery")
        await tap(botapi, book, say_first, expect="sendVoice")
        second_answer = await send(botapi, updates.inline("break"), expect="answerInlineQuery")

        # Reorder: move the second phrase up, then delete it.
        edit = await tap(botapi, book, "pedit:edit")
        second_id = next(d for d, label in labels.items() if label.startswith("Thank")).split(":")[1]
        moved = await tap(botapi, edit, f"pmove:{second_id}:-1")
        assert next(label for d, label in buttons(moved).items() if d.startswith("say:")).startswith("Thank")
        after_delete = await tap(botapi, moved, f"pdel:{second_id}")
        assert not any(label.startswith("Thank") for label in buttons(after_delete).values())

    phrase_voice = botapi.sent("sendVoice")[-1]
    assert phrase_voice.params["caption"] == "I need a break, please."
    assert probe(phrase_voice.files["voice"].data).audio_codec == "opus"
    kinds = [(r["type"], r.get("title")) for r in first_answer.params["results"]]
    assert kinds == [("article", "Say: break"), ("article", "I need a break, please.")]
    cached = second_answer.params["results"][1]
    assert cached["type"] == "voice" and cached["voice_file_id"] == phrase_voice.result["voice"]["file_id"]
    assert first_answer.params["is_personal"] in (True, "true", "True")


async def test_video_notes_and_long_messages_in_several_clips(botapi: StandInBotAPI, engine: str) -> None:
    sentence = "This is a longer message with several sentences, so that it needs more than one clip."
    text = " ".join([sentence] * 4)  # 4 × 86 characters: two clips of at most 300
    async with running_bot(botapi, engine, TOKEN):
        await onboard(botapi)
        await settings(botapi, "set:output:video_note")
        botapi.push(updates.text(text))
        notes = await botapi.wait_sent("sendVideoNote", 2, timeout=90)
    voices = botapi.sent("sendVoice")
    assert len(voices) == 2 and len(notes) == 2
    assert " ".join(v.params["caption"] for v in voices) == text
    assert all(len(v.params["caption"]) <= 1024 for v in voices)
    assert voices[0].at < notes[0].at < voices[1].at < notes[1].at  # in order, voice first
    for note in notes:
        seen = probe(note.files["video_note"].data)
        assert seen.width == seen.height <= 640 and int(note.params["length"]) == seen.width
        assert seen.video_codec == "h264" and 0 < seen.duration_s <= 60
    assert "record_video_note" in [c.params["action"] for c in botapi.sent("sendChatAction")]


async def test_photo_and_voice_uploads_need_consent_and_get_kind_errors(
    botapi: StandInBotAPI, engine: str, shared_data: Path
) -> None:
    face = (shared_data / "images" / "sadtalker_happy.png").read_bytes()
    dog = (shared_data / "images" / "liveportrait_s25_dog_noface.jpg").read_bytes()
    recording = voice_note_from(shared_data / "audio" / "LJ001-0004.wav")
    botapi.add_file("face", face)
    botapi.add_file("dog", dog)
    short_recording = voice_note_from(shared_data / "audio" / "LJ001-0002.wav")
    botapi.add_file("rec", recording)
    botapi.add_file("rec2", short_recording)
    botapi.add_file("junk", b"OggS" + bytes(range(256)) * 8)
    async with running_bot(botapi, engine, TOKEN):
        await onboard(botapi)
        ask = await send(botapi, updates.photo("face", len(face), 256, 256))
        assert ask.params["text"].startswith(messages.FACE_NEEDS_CONSENT)
        await tap(botapi, ask, f"consent:{FACE_ANIMATION}:yes")
        preview = (await botapi.wait_sent("sendVideo", timeout=90))[-1]  # the first video of this chat

        botapi.push(updates.photo("dog", len(dog), 512, 512))
        await botapi.wait_for(
            lambda _c: (
                "face" in last_text(botapi).params["text"].lower()
                and last_text(botapi).params["text"] != messages.FACE_WORKING
            )
        )
        no_face = last_text(botapi).params["text"]

        # Two recordings before consent: one question; both are used after "I agree".
        ask = await send(botapi, updates.voice("rec", len(recording), duration=5))
        assert ask.params["text"].startswith(messages.VOICE_NEEDS_CONSENT)
        kept = await send(botapi, updates.voice("rec2", len(short_recording), duration=2))
        assert kept.params["text"] == messages.KEPT_FOR_CONSENT
        await tap(botapi, ask, f"consent:{VOICE_CLONING}:yes")
        await botapi.wait_for(lambda _c: added(botapi) == 2)

        botapi.push(updates.voice("junk", 2052, duration=3))
        await botapi.wait_for(lambda _c: last_text(botapi).params["text"] == messages.UNREADABLE_AUDIO)

    assert preview.params["caption"].startswith(messages.FACE_READY)
    seen = probe(preview.files["video"].data)
    assert seen.video_codec == "h264" and seen.duration_s > 0.5
    assert "couldn't find a face" in no_face


def added(botapi: StandInBotAPI) -> int:
    return sum(c.params["text"].startswith(messages.VOICE_SAMPLE_ADDED) for c in botapi.sent("sendMessage"))


async def test_engine_down_then_back_the_clip_still_arrives(botapi: StandInBotAPI, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from bots.telegram.retry import RetryQueue

    retry = RetryQueue(base_delay_s=0.2, max_delay_s=1.0, max_attempts=60)
    async with running_bot(botapi, f"http://127.0.0.1:{port}", TOKEN, retry=retry):
        botapi.push(updates.text("Are we there yet?"))
        told = (await botapi.wait_sent("sendMessage"))[-1]
        assert told.params["text"] == messages.BUSY
        async with engine_service(tmp_path / "engine", port=port):
            await botapi.wait_sent("sendVideo", timeout=90)
    assert len(botapi.sent("sendVoice")) == 1
    assert [c.params["text"] for c in botapi.sent("sendMessage")] == [messages.BUSY]


async def test_export_and_forget(botapi: StandInBotAPI, engine: str) -> None:
    async with running_bot(botapi, engine, TOKEN):
        await onboard(botapi)
        botapi.push(updates.command("save", "See you tomorrow."))
        await botapi.wait_for(lambda _c: last_text(botapi).params["text"].startswith("Saved"))
        export = await send(botapi, updates.command("export"), expect="sendDocument")
        ask = await send(botapi, updates.command("forget"))
        assert ask.params["text"] == messages.FORGET_ASK
        done = await tap(botapi, ask, "forget:yes")
        botapi.push(updates.command("phrases"))
        await botapi.wait_for(lambda _c: last_text(botapi).params["text"] == messages.PHRASES_EMPTY)
    with zipfile.ZipFile(io.BytesIO(export.files["document"].data)) as archive:
        assert archive.namelist()
        assert any(b"See you tomorrow." in archive.read(name) for name in archive.namelist())
    assert done.params["text"] == messages.FORGOTTEN


async def test_groups_edits_and_menus(botapi: StandInBotAPI, engine: str) -> None:
    async with running_bot(botapi, engine, TOKEN):
        await onboard(botapi)
        await settings(botapi, "set:output:voice")
        # In a group, only a message that mentions the bot is spoken, without the mention.
        botapi.push(updates.text("not for the bot", chat=updates.GROUP))
        group_voice = await send(botapi, updates.mention("Hello class!"), expect="sendVoice")

        # An edited message is spoken again only when the person asks.
        original = updates.text("I want the red one.")
        first = await send(botapi, original, expect="sendVoice")
        asked = await send(botapi, updates.edited(original["message"], "I want the blue one."))
        again = await tap(botapi, asked, next(iter(buttons(asked))), expect="sendVoice")
        botapi.push(updates.callback(next(iter(buttons(asked))), on=asked.result))  # a second tap: no repeat

        # Voice menu: one step faster, then a sample in the new voice.
        menu = await send(botapi, updates.command("voice"))
        faster = await tap(botapi, menu, "knob:rate:+", expect="answerCallbackQuery")
        sample = await tap(botapi, menu, "voice:sample", expect="sendVoice")

        # Face menu: another cartoon style.
        faces = await send(botapi, updates.command("face"))
        styled = await tap(botapi, faces, "style:sunny")
        botapi.push(updates.command("help"))
        await botapi.wait_for(lambda _c: last_text(botapi).params["text"].startswith("Type a message"))

    assert group_voice.params["caption"] == "Hello class!"
    assert int(group_voice.params["chat_id"]) == updates.GROUP["id"]
    assert group_voice.params["reply_parameters"]["message_id"] > 0
    assert first.params["caption"] == "I want the red one."
    assert asked.params["text"] == messages.EDITED
    assert again.params["caption"] == "I want the blue one."
    assert [c.params["caption"] for c in botapi.sent("sendVoice")].count("I want the blue one.") == 1
    assert not any(c.params.get("caption") == "not for the bot" for c in botapi.sent("sendVoice"))
    assert faster.params["text"].startswith("Changed. Speed 110%")
    assert sample.params["caption"] == messages.SAMPLE_TEXT
    heard = probe(sample.files["voice"].data)
    assert heard.audio_codec == "opus" and heard.duration_s > 0.5
    assert styled.params["text"].startswith(messages.FACE_STYLE_SET.format(style="sunny"))
    assert "style:sunny-deep" in buttons(styled) and "style:ocean" not in buttons(styled)
    assert "style:sunny" in buttons(faces) and "style:sunny-deep" not in buttons(faces)
