"""Hand-made utterances for face tests: phoneme timings plus a voiced tone that follows them."""

from __future__ import annotations

import numpy as np

from engine.types import Timing, Utterance

SAMPLE_RATE = 16000


def utterance(
    phonemes: list[tuple[str, float, float]],
    duration_s: float,
    *,
    loudness: dict[int, float] | None = None,
    text: str = "test",
) -> Utterance:
    """An utterance whose audio is a 140 Hz tone during each phoneme (amplitude 0.3, or loudness[i])."""
    n = round(duration_s * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    audio = np.zeros(n, dtype=np.float32)
    for i, (_, start, end) in enumerate(phonemes):
        span = (t >= start) & (t < end)
        amp = (loudness or {}).get(i, 0.3)
        audio[span] = (amp * np.sin(2 * np.pi * 140 * t[span])).astype(np.float32)
    timings = tuple(Timing(s, e, label) for label, s, e in phonemes)
    return Utterance(audio, SAMPLE_RATE, (), timings, "en", text)


def sequence(labels: list[str], start_s: float, step_s: float) -> list[tuple[str, float, float]]:
    """Back-to-back phonemes of equal length from start_s."""
    return [(label, start_s + i * step_s, start_s + (i + 1) * step_s) for i, label in enumerate(labels)]
