"""Choosing an engine for a person's settings, and listing voices."""

from __future__ import annotations

import pytest

from engine.errors import UnknownEngine, UnknownVoice, UnsupportedLanguage
from engine.speech import engine_for, list_voices, speech_engines
from engine.types import VoiceSettings


def test_builtin_engines_are_registered_lazily() -> None:
    assert {"espeak", "piper"} <= set(speech_engines.names())


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (VoiceSettings(), "piper"),
        (VoiceSettings(language="en-GB"), "piper"),
        (VoiceSettings(language="de"), "espeak"),
        (VoiceSettings(language="es"), "espeak"),
        (VoiceSettings(language="pt_BR"), "espeak"),
        (VoiceSettings(engine="espeak"), "espeak"),
        (VoiceSettings(voice="fr-fr+f3"), "espeak"),
        (VoiceSettings(voice="joe"), "piper"),
    ],
)
def test_engine_for_picks_the_default(settings: VoiceSettings, expected: str) -> None:
    assert engine_for(settings).name == expected


def test_german_and_spanish_speak_through_espeak() -> None:
    for language, text, words in [
        ("de", "Guten Morgen, wie geht es dir heute?", 7),
        ("es", "Buenos días, ¿cómo estás hoy, señora?", 6),
    ]:
        settings = VoiceSettings(language=language)
        utt = engine_for(settings).synthesize(text, settings)
        assert utt.language.startswith(language)
        assert len(utt.words) == words and 1.0 < utt.duration_s < 5.0
        assert all(p.label and "(" not in p.label for p in utt.phonemes)


def test_unknown_language_and_engine() -> None:
    with pytest.raises(UnsupportedLanguage, match="Did you mean") as err:
        engine_for(VoiceSettings(language="dee"))
    assert "de" in err.value.message
    with pytest.raises(UnsupportedLanguage):
        engine_for(VoiceSettings(language="zz"))
    with pytest.raises(UnsupportedLanguage):
        engine_for(VoiceSettings(engine="piper", language="de"))
    with pytest.raises(UnknownEngine):
        engine_for(VoiceSettings(engine="nonexistent"))
    with pytest.raises(UnknownVoice):
        engine_for(VoiceSettings(voice="no-such-voice"))


def test_list_voices() -> None:
    voices = list_voices()
    assert voices == sorted(voices, key=lambda v: (v.language, v.engine, v.id))
    ids = {(v.engine, v.id) for v in voices}
    assert {("espeak", "de"), ("espeak", "es"), ("espeak", "fr-fr"), ("piper", "joe")} <= ids
    assert ("espeak", "en-us+f3") in ids and ("espeak", "de+m1") in ids
    german = list_voices("de")
    assert german and all(v.language == "de" or v.language.startswith("de-") for v in german)
    english = list_voices("en")
    assert {"piper", "espeak"} <= {v.engine for v in english}
