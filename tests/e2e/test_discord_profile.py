"""/voice, /avatar, /settings end to end: consent buttons, attachments from the stand-in's CDN, errors."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from bots.common.consent import CONSENT_PROMPTS, CONSENT_TEXTS
from engine.errors import NoFaceFound
from tests.bots.discord.harness import MESSAGE, UPDATE, Rig, decode, rig
from tests.bots.discord.interactions import Attach
from tests.bots.discord.standin import EPHEMERAL
from tests.engine.service.harness import start_service

__all__ = ["rig", "start_service"]

pytestmark = pytest.mark.timeout(120)


async def consent_prompt(live: Rig, path: str, **options: object) -> tuple[object, dict]:
    interaction = await live.send(path, **options)
    callback = await live.callback(interaction)
    assert callback.payload["type"] == MESSAGE
    message = interaction.original
    assert message is not None and message["flags"] & EPHEMERAL
    labels = [b["label"] for row in message["components"] for b in row["components"]]
    assert labels == ["I agree", "No"]
    return interaction, message


async def test_voice_enrolment_asks_consent_records_it_then_enrols(rig: Rig, shared_data: Path) -> None:
    sample = Attach.from_path(shared_data / "audio" / "LJ001-0002.wav", "audio/x-wav")
    _, prompt = await consent_prompt(rig, "voice", user="student", channel="general", sample=sample)
    assert CONSENT_PROMPTS["voice_cloning"] in prompt["content"]
    assert "[voice" not in prompt["content"]  # the version marker is recorded, not shown
    profile = await rig.engine.profile(rig.who("student"))
    assert not profile.has_consent("voice_cloning")  # nothing recorded before the button

    clicked = await rig.click(prompt, "I agree", user="student", channel="general")
    assert (await rig.callback(clicked)).payload["type"] == UPDATE
    answer = await rig.private_answer(clicked)
    assert "Your voice is ready" in answer["content"]
    (preview,) = [f for r in clicked.requests for f in r.files]  # a sample sentence in the new voice
    assert preview.filename == "voice-preview.ogg" and decode(preview.data)["audio_samples"] > 0
    profile = await rig.engine.profile(rig.who("student"))
    (consent,) = [c for c in profile.consents if c.purpose == "voice_cloning"]
    assert consent.text == CONSENT_TEXTS["voice_cloning"] and consent.active
    assert profile.voice.enrolled

    # Consent is asked once: the next sample is enrolled at once, privately.
    again = await rig.send("voice", user="student", channel="general", sample=sample)
    answer = await rig.private_answer(again)
    assert "Your voice is ready" in answer["content"]


async def test_someone_else_cannot_answer_the_consent_question(rig: Rig, shared_data: Path) -> None:
    sample = Attach.from_path(shared_data / "audio" / "LJ001-0002.wav", "audio/x-wav")
    _, prompt = await consent_prompt(rig, "voice", user="student", channel="general", sample=sample)
    intruder = await rig.click(prompt, "I agree", user="classmate", channel="general")
    callback = await rig.callback(intruder)
    assert callback.payload["data"]["flags"] & EPHEMERAL
    assert "someone else" in callback.payload["data"]["content"]
    assert not (await rig.engine.profile(rig.who("student"))).consents


async def test_saying_no_records_nothing(rig: Rig, shared_data: Path) -> None:
    photo = Attach.from_path(shared_data / "images" / "sadtalker_happy.png", "image/png")
    _, prompt = await consent_prompt(rig, "avatar", user="student", channel=None, photo=photo)
    assert CONSENT_PROMPTS["face_animation"] in prompt["content"]
    clicked = await rig.click(prompt, "No", user="student", channel=None)
    assert (await rig.callback(clicked)).payload["type"] == UPDATE
    assert "nothing was saved" in clicked.original["content"]
    profile = await rig.engine.profile(rig.who("student"))
    assert not profile.consents and not profile.face.has_photo


async def test_bad_attachments_get_specific_private_errors(rig: Rig, shared_data: Path) -> None:
    cases = [
        (
            "avatar",
            "photo",
            Attach("homework.pdf", b"%PDF-1.4 not a photo", "application/pdf"),
            "not a photo",
        ),
        ("avatar", "photo", Attach("huge.jpg", b"\xff" * 20_600_000, "image/jpeg"), "20.6 MB"),
        ("voice", "sample", Attach("face.png", b"\x89PNG....", "image/png"), "not a recording"),
    ]
    for command, option, attach, expected in cases:
        interaction = await rig.send(command, user="student", channel="general", **{option: attach})
        callback = await rig.callback(interaction)
        assert callback.payload["type"] == MESSAGE
        assert callback.payload["data"]["flags"] & EPHEMERAL
        assert expected in callback.payload["data"]["content"], callback.payload["data"]["content"]


async def test_a_photo_without_a_face_is_a_private_no_face_error(rig: Rig, shared_data: Path) -> None:
    dog = Attach.from_path(shared_data / "images" / "liveportrait_s25_dog_noface.jpg", "image/jpeg")
    _, prompt = await consent_prompt(rig, "avatar", user="student", channel="general", photo=dog)
    clicked = await rig.click(prompt, "I agree", user="student", channel="general")
    answer = await rig.private_answer(clicked)
    assert answer["content"] == NoFaceFound().message
    assert not (await rig.engine.profile(rig.who("student"))).face.has_photo


async def test_a_face_photo_becomes_the_avatar_with_a_preview(rig: Rig, shared_data: Path) -> None:
    photo = Attach.from_path(shared_data / "images" / "sadtalker_happy.png", "image/png")
    _, prompt = await consent_prompt(rig, "avatar", user="student", channel="general", photo=photo)
    clicked = await rig.click(prompt, "I agree", user="student", channel="general")
    answer = await rig.private_answer(clicked)
    assert "photo avatar is ready" in answer["content"]
    profile = await rig.engine.profile(rig.who("student"))
    assert profile.face.has_photo and profile.has_consent("face_animation")
    (preview,) = [f for r in clicked.requests for f in r.files]
    assert preview.filename == "avatar-preview.mp4" and answer["attachments"]
    info = decode(preview.data)
    assert info["video_frames"] > 0 and "h264" in info["codecs"]


async def test_settings_and_voice_options_change_the_profile(rig: Rig) -> None:
    interaction = await rig.send("settings", user="student", channel=None, format="voice", captions="burn")
    answer = await rig.private_answer(interaction)
    assert "voice only" in answer["content"] and "written into the video" in answer["content"]
    interaction = await rig.send("voice", user="student", channel=None, rate=1.5, pitch=-2.0)
    answer = await rig.private_answer(interaction)
    assert "Speed 1.5×" in answer["content"] and "pitch -2 semitones" in answer["content"]
    profile = await rig.engine.profile(rig.who("student"))
    assert (profile.output, profile.captions, profile.voice.rate, profile.voice.pitch) == (
        "voice",
        "burn",
        1.5,
        -2.0,
    )

    bad = await rig.send("settings", user="student", channel=None, language="xx-nonsense")
    answer = await rig.private_answer(bad)
    assert "xx-nonsense" in answer["content"]


async def test_stale_and_double_presses_get_a_clear_answer(rig: Rig, shared_data: Path) -> None:
    sample = Attach.from_path(shared_data / "audio" / "LJ001-0002.wav", "audio/x-wav")
    _, prompt = await consent_prompt(rig, "voice", user="student", channel=None, sample=sample)
    as_sent = copy.deepcopy(prompt)  # the buttons as the person's client still shows them

    first = await rig.click(as_sent, "No", user="student", channel=None)
    assert (await rig.callback(first)).payload["type"] == UPDATE
    again = await rig.click(as_sent, "I agree", user="student", channel=None)
    assert "already answered" in (await rig.callback(again)).payload["data"]["content"]

    # A question this bot process never asked (it timed out, or the bot restarted since).
    for row in as_sent["components"]:
        for button in row["components"]:
            button["custom_id"] = button["custom_id"].replace(":question:", ":question:0000")
    stale = await rig.click(as_sent, "I agree", user="student", channel=None)
    callback = await rig.callback(stale)
    assert callback.payload["data"]["flags"] & EPHEMERAL
    assert "expired" in callback.payload["data"]["content"]
    assert not (await rig.engine.profile(rig.who("student"))).consents


async def test_voice_presets_and_styles_autocomplete_from_the_engine(rig: Rig) -> None:
    offered = await rig.send("voice", user="student", channel=None, focused="preset", preset="")
    voices = (await rig.callback(offered)).payload["data"]["choices"]
    assert voices and all(c["name"] and c["value"] for c in voices) and len(voices) <= 25
    chosen = await rig.send("voice", user="student", channel=None, preset=voices[-1]["value"])
    await rig.private_answer(chosen)
    assert (await rig.engine.profile(rig.who("student"))).voice.voice == voices[-1]["value"]

    offered = await rig.send("avatar", user="student", channel=None, focused="style", style="")
    styles = [c["value"] for c in (await rig.callback(offered)).payload["data"]["choices"]]
    assert styles == (await rig.engine.styles())[:25]
    chosen = await rig.send("avatar", user="student", channel=None, style=styles[-1])
    assert styles[-1] in (await rig.private_answer(chosen))["content"]
    assert (await rig.engine.profile(rig.who("student"))).face.style == styles[-1]
