"""bots/common: clip splitting, preset voices, voice steps, consent texts, formatting."""

from __future__ import annotations

import pytest

from bots.common import messages
from bots.common.adjust import KNOBS, adjusted
from bots.common.clips import CLIP_CHARS, clip_label, split_message
from bots.common.consent import CONSENT_PROMPTS, CONSENT_TEXTS, FACE_ANIMATION, VOICE_CLONING
from bots.common.formatting import face_name, settings_summary, short, voice_summary
from bots.common.voices import preset_voices
from engine.service.schema import FaceChoice, Profile, VoiceChoice
from engine.speech.base import VoiceInfo


def test_a_short_message_is_one_clip() -> None:
    assert split_message("Hello! How are you?") == ["Hello! How are you?"]


def test_a_long_message_splits_at_sentence_ends_and_keeps_every_word() -> None:
    sentences = [
        f"Sentence number {n} tells a little more of the story, slowly and clearly." for n in range(12)
    ]
    text = " ".join(sentences)
    clips = split_message(text)
    assert len(clips) > 1
    assert all(len(c) <= CLIP_CHARS for c in clips)
    assert " ".join(clips) == text
    assert all(c.endswith(".") for c in clips)  # never cut inside a sentence


def test_one_endless_sentence_is_still_cut_to_clip_size() -> None:
    text = ", ".join(["and then we went on"] * 60)
    clips = split_message(text)
    assert all(0 < len(c) <= CLIP_CHARS for c in clips)
    assert " ".join(clips).split() == text.split()


def test_line_breaks_and_blank_text() -> None:
    assert split_message("   \n\n  ") == []
    assert split_message("Yes\nNo") == ["Yes No"]


def test_clip_labels() -> None:
    assert clip_label(0, 1) == ""
    assert clip_label(1, 3) == " (2/3)"


def v(voice_id: str, engine: str = "espeak") -> VoiceInfo:
    return VoiceInfo(voice_id, voice_id, voice_id.split("+")[0], engine)


def test_preset_voices_are_few_and_varied() -> None:
    catalogue = [
        v("en-029"),
        v("en-029+f1"),
        v("en-gb"),
        v("en-gb+f1"),
        v("en-gb+m1"),
        v("en-gb+croak"),
        v("en-us"),
        v("en-us+f1"),
        v("en-us+m1"),
        v("en-us+f2"),
        v("joe", "piper"),
    ]
    chosen = [x.id for x in preset_voices(catalogue, "en", limit=6)]
    assert chosen[0] == "joe"  # the natural voice first
    assert set(chosen[1:3]) == {"en-gb", "en-us"}
    assert "en-gb+croak" not in chosen and len(chosen) == 6
    assert preset_voices([], "en") == []


@pytest.mark.parametrize("knob", sorted(KNOBS))
def test_voice_steps_stop_at_the_limits(knob: str) -> None:
    spec = KNOBS[knob]
    at_top = VoiceChoice(**{knob: spec.high})
    at_bottom = VoiceChoice(**{knob: spec.low})
    assert adjusted(at_top, knob, +1) is None
    assert adjusted(at_bottom, knob, -1) is None
    assert adjusted(at_top, knob, -1) == pytest.approx(spec.high - spec.step)
    assert adjusted(VoiceChoice(rate=1.0, pitch=0.0, volume=1.0), knob, +1) is not None


def test_rate_steps_are_exact_tenths() -> None:
    voice = VoiceChoice(rate=1.0)
    for _ in range(3):
        voice = VoiceChoice(rate=adjusted(voice, "rate", +1))
    assert voice.rate == 1.3


def test_consent_texts_are_versioned_and_prompts_are_plain() -> None:
    for purpose in (VOICE_CLONING, FACE_ANIMATION):
        assert CONSENT_TEXTS[purpose].startswith("[")
        assert CONSENT_TEXTS[purpose].endswith(CONSENT_PROMPTS[purpose])
        assert "/forget" in CONSENT_PROMPTS[purpose]


def profile(**changes: object) -> Profile:
    base = dict(
        platform="telegram",
        user_id="1",
        language="de",
        output="video_note",
        captions="burn",
        voice=VoiceChoice(voice="de+f1", rate=1.2, pitch=-2, volume=0.8),
        face=FaceChoice(),
    )
    base.update(changes)
    return Profile(**base)


def test_formatting_speaks_plainly() -> None:
    p = profile()
    assert (
        settings_summary(p)
        == "Your settings:\nLanguage: Deutsch\nI send: round video\nCaptions in the video: always"
    )
    assert voice_summary(p) == "Your voice: de+f1.\nSpeed 120%, pitch -2, volume 80%."
    assert face_name(p) == "the default cartoon"
    assert face_name(profile(face=FaceChoice(engine="portrait", has_photo=True))) == "your photo"


def test_short_cuts_long_labels_on_one_line() -> None:
    assert short("a\nb") == "a b"
    cut = short("x" * 100, 40)
    assert len(cut) == 40 and cut.endswith("…")


def test_messages_are_short() -> None:
    texts = [v for k, v in vars(messages).items() if k.isupper() and isinstance(v, str)]
    assert texts and all(len(t) <= 600 for t in texts)
