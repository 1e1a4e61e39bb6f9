"""How profiles, voices and phrases are shown to a person, in plain words."""

from __future__ import annotations

from bots.common import messages
from bots.common.languages import language_name
from engine.service.schema import Phrase, Profile

BUTTON_CHARS = 40  # longer button labels are cut; phones show about this much


def short(text: str, limit: int = BUTTON_CHARS) -> str:
    """`text` on one line, cut with an ellipsis when longer than `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def percent(value: float) -> str:
    return f"{round(value * 100)}%"


def semitones(value: float) -> str:
    steps = round(value)
    return "normal" if steps == 0 else f"{steps:+d}"


def voice_name(profile: Profile) -> str:
    voice = profile.voice
    if voice.enrolled and voice.engine == "smalle":
        return "your own voice"
    return voice.voice or "the default voice"


def face_name(profile: Profile) -> str:
    face = profile.face
    if face.engine == "portrait" or (face.has_photo and face.engine != "cartoon"):
        return "your photo"
    return f"the {face.style} cartoon"


def voice_summary(profile: Profile) -> str:
    v = profile.voice
    return messages.VOICE_MENU.format(
        voice=voice_name(profile), rate=percent(v.rate), pitch=semitones(v.pitch), volume=percent(v.volume)
    )


def voice_adjusted(profile: Profile) -> str:
    v = profile.voice
    return messages.VOICE_ADJUSTED.format(
        rate=percent(v.rate), pitch=semitones(v.pitch), volume=percent(v.volume)
    )


def settings_summary(profile: Profile) -> str:
    return messages.SETTINGS.format(
        language=language_name(profile.language),
        output=messages.OUTPUTS.get(profile.output, profile.output),
        captions=messages.CAPTIONS.get(profile.captions, profile.captions),
    )


def phrase_label(phrase: Phrase) -> str:
    return short(phrase.text)
