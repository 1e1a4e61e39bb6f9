"""The SpeechEngine protocol: text (already normalised) + VoiceSettings → Utterance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from engine.types import Utterance, VoiceSettings


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    id: str  # unique within its engine, e.g. "en-us" or "en-us+f3" for espeak, "joe" for piper
    name: str  # human-readable
    language: str  # BCP-47-ish code, e.g. "en-us", "de", "es"
    engine: str


@runtime_checkable
class SpeechEngine(Protocol):
    name: str

    def voices(self) -> list[VoiceInfo]: ...

    def supports(self, language: str) -> bool: ...

    def synthesize(self, text: str, settings: VoiceSettings) -> Utterance: ...
