"""The service's view of the engines: catalogue (voices, styles), validation of choices, warm-up and the
load state reported by /metrics and the start-up line. Engines themselves load lazily via their registries."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from engine.errors import UnknownStyle
from engine.speech.base import VoiceInfo
from engine.types import FaceSettings, Utterance, VoiceSettings

if TYPE_CHECKING:
    from engine.pipeline import Pipeline

log = logging.getLogger(__name__)


def voices(language: str | None = None) -> list[VoiceInfo]:
    from engine.speech import list_voices

    return list_voices(language)


def styles() -> list[str]:
    from engine.face.cartoon import styles as cartoon_styles

    return list(cartoon_styles())


def check_style(style: str) -> None:
    choices = styles()
    if style not in choices:
        raise UnknownStyle(style, choices)


def check_voice(settings: VoiceSettings) -> None:
    """Raise the user-facing error (unknown engine / voice, unsupported language) for unusable settings."""
    from engine.speech import engine_for

    engine_for(settings)


def speech_engine_names() -> list[str]:
    from engine.speech import speech_engines

    return speech_engines.names()


def model_states() -> list[tuple[str, str, bool]]:
    """(kind, engine, loaded in this process) for every registered engine."""
    from engine.face import face_engines
    from engine.speech import speech_engines

    out: list[tuple[str, str, bool]] = []
    for kind, registry in (("speech", speech_engines), ("face", face_engines)):
        loaded = set(registry.loaded())
        out.extend((kind, name, name in loaded) for name in registry.names())
    return out


def device() -> str:
    """Where neural engines run in this process: the CUDA device, or "cpu". Torch is asked only if an
    engine already imported it (importing it just to answer would slow an API-only start by seconds)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu"


def warm_up(pipeline: Pipeline, face_size: int) -> None:
    """Load the default speech and face engines once, so the first person does not wait for them."""
    from engine.face import engine_for as face_engine_for

    utterance: Utterance = pipeline.speak("Hello.", VoiceSettings())
    face = FaceSettings(size=face_size)
    engine = face_engine_for(face)
    for _ in engine.render(utterance, face):
        break
