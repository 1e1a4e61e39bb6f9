"""Speech engines: the registry of engines and how one is chosen for a person's voice settings.

Every engine registers here, in one place, with a lazy factory: nothing loads until it is first used.
"""

from __future__ import annotations

import logging

from engine.errors import AvatarLabError, UnknownVoice, UnsupportedLanguage
from engine.registry import Registry
from engine.speech.base import SpeechEngine, VoiceInfo
from engine.speech.languages import close_codes, normalise_code
from engine.types import VoiceSettings

log = logging.getLogger(__name__)

speech_engines: Registry[SpeechEngine] = Registry("speech")


def _espeak() -> SpeechEngine:
    from engine.speech.espeak import EspeakEngine

    return EspeakEngine()


def _piper() -> SpeechEngine:
    from engine.speech.piper import PiperEngine

    return PiperEngine()


def _smalle() -> SpeechEngine:
    from engine.config import Settings
    from engine.speech.smalle import SmallESpeechEngine

    return SmallESpeechEngine(Settings.load().resolved_models_dir)


speech_engines.register("espeak", _espeak)
speech_engines.register("piper", _piper)
speech_engines.register("smalle", _smalle)

FALLBACK_ENGINE = "espeak"


def _load(name: str) -> SpeechEngine | None:
    """The engine, or None when it cannot load here (e.g. missing model files): callers fall back."""
    try:
        return speech_engines.get(name)
    except AvatarLabError as exc:
        log.warning("speech engine %s is unavailable: %s", name, exc.message)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        log.warning("speech engine %s failed to load: %s", name, exc)
    return None


def _candidates(language: str) -> list[str]:
    """Engine names in order of preference for a language: piper for English, then espeak, then the rest."""
    preferred = ["piper", FALLBACK_ENGINE] if normalise_code(language).startswith("en") else [FALLBACK_ENGINE]
    return preferred + [n for n in speech_engines.names() if n not in preferred]


def _has_voice(engine: SpeechEngine, voice: str) -> bool:
    wanted = voice.strip().lower()
    return any(v.id.lower() == wanted for v in engine.voices())


def engine_for(settings: VoiceSettings) -> SpeechEngine:
    """The engine for these settings: settings.engine, else the best one for the voice or language."""
    if settings.engine:
        engine = speech_engines.get(settings.engine)
        if not settings.voice and not engine.supports(settings.language):
            raise UnsupportedLanguage(settings.language, _language_hint(settings.language))
        return engine
    names = _candidates(settings.language)
    if settings.voice:
        for name in names:
            engine = _load(name)
            if engine is not None and _has_voice(engine, settings.voice):
                return engine
        raise UnknownVoice(settings.voice, "Use /voices to see the voices you can choose from.")
    for name in names:
        engine = _load(name)
        if engine is not None and engine.supports(settings.language):
            return engine
    raise UnsupportedLanguage(settings.language, _language_hint(settings.language))


def _language_hint(language: str) -> str:
    codes = sorted({v.language for v in list_voices()})
    return close_codes(language, codes)


def list_voices(language: str | None = None) -> list[VoiceInfo]:
    """Every available engine's voices, optionally only those for a language ("en" includes "en-us")."""
    voices: list[VoiceInfo] = []
    for name in speech_engines.names():
        engine = _load(name)
        if engine is not None:
            voices.extend(engine.voices())
    if language is not None:
        code = normalise_code(language)
        voices = [v for v in voices if v.language == code or v.language.startswith(code + "-")]
    return sorted(voices, key=lambda v: (v.language, v.engine, v.id))


__all__ = ["FALLBACK_ENGINE", "SpeechEngine", "VoiceInfo", "engine_for", "list_voices", "speech_engines"]
