"""Which preset voices to offer: the engine knows hundreds (every espeak-ng accent × variant), but a
person choosing a voice wants a short list of clearly different ones."""

from __future__ import annotations

from collections.abc import Sequence

from engine.speech.base import VoiceInfo

PRESET_COUNT = 8
VARIANTS = ("f1", "m1", "f2", "m2", "f3", "m3")  # espeak-ng's plain female and male variants


def preset_voices(voices: Sequence[VoiceInfo], language: str, limit: int = PRESET_COUNT) -> list[VoiceInfo]:
    """Natural-sounding (neural) voices first, then the accents of the language, then a few female and
    male variants of its main accent; at most `limit`."""
    neural = [v for v in voices if v.engine != "espeak"]
    accents = sorted(
        (v for v in voices if v.engine == "espeak" and "+" not in v.id),
        key=lambda v: (v.id != language, not v.id.endswith(("-us", "-gb")), v.id),
    )
    variants: list[VoiceInfo] = []
    if accents:
        by_id = {v.id: v for v in voices}
        variants = [by_id[f"{accents[0].id}+{n}"] for n in VARIANTS if f"{accents[0].id}+{n}" in by_id]
    picked: list[VoiceInfo] = []
    for voice in [*neural, *accents[:3], *variants, *accents[3:]]:
        if voice not in picked:
            picked.append(voice)
    return picked[:limit]
