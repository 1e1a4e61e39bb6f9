"""Step-by-step voice adjustments (the "slower / faster" buttons): one tap, one step, inside the limits
the engine accepts (engine.types.VoiceSettings)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.service.schema import VoiceChoice


@dataclass(frozen=True, slots=True)
class Knob:
    field: str  # the profile field (PATCH /v1/users/... key)
    step: float
    low: float
    high: float
    label: str  # for "That's already the lowest speed."


KNOBS: dict[str, Knob] = {
    "rate": Knob("rate", 0.1, 0.5, 2.0, "speed"),
    "pitch": Knob("pitch", 1.0, -12.0, 12.0, "pitch"),
    "volume": Knob("volume", 0.1, 0.1, 2.0, "volume"),
}


def adjusted(voice: VoiceChoice, knob_name: str, direction: int) -> float | None:
    """The knob's next value one step up (direction > 0) or down, or None when already at the limit."""
    knob = KNOBS[knob_name]
    current = float(getattr(voice, knob.field))
    value = round(current + (knob.step if direction > 0 else -knob.step), 2)
    value = min(knob.high, max(knob.low, value))
    return None if abs(value - current) < 1e-9 else value
