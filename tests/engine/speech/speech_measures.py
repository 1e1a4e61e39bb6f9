"""Measurements the speech tests make on real audio: level, F0, frame energy."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from engine.types import Timing, Utterance


def frame_db(audio: np.ndarray, sample_rate: int, frame_s: float = 0.01) -> np.ndarray:
    n = int(frame_s * sample_rate)
    count = len(audio) // n
    frames = audio[: count * n].reshape(count, n).astype(np.float64)
    return 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-9)


def span_db(utt: Utterance, t: Timing) -> float:
    a, b = (
        int(t.start_s * utt.sample_rate),
        max(int(t.end_s * utt.sample_rate), int(t.start_s * utt.sample_rate) + 1),
    )
    seg = utt.audio[a:b].astype(np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-9))


def median_f0(audio: np.ndarray, sample_rate: int, fmin: float = 50.0, fmax: float = 500.0) -> float:
    """Geometric-mean F0 over clearly voiced 40 ms frames, by autocorrelation."""
    n = int(0.04 * sample_rate)
    lo, hi = int(sample_rate / fmax), int(sample_rate / fmin)
    found = []
    for i in range(0, len(audio) - n, n // 2):
        frame = audio[i : i + n].astype(np.float64)
        frame = frame - frame.mean()
        if np.sqrt(np.mean(frame**2)) < 0.03:
            continue
        ac = np.correlate(frame, frame, "full")[n - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.6 * ac[0]:
            found.append(sample_rate / lag)
    assert len(found) >= 10, "too few voiced frames to measure F0"
    return float(np.exp(np.mean(np.log(found))))


def write_wav(path: Path, utt: Utterance) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(utt.sample_rate)
        out.writeframes((np.clip(utt.audio, -1, 1) * 32767).astype("<i2").tobytes())
