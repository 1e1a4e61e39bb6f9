"""Helpers for the portrait tests: speech-like clips, a loudness-driven mouth track, SSIM."""

from __future__ import annotations

import cv2
import numpy as np

from engine.face.portrait.engine import loudness_envelope
from engine.types import MouthShape, Timing, Utterance, Viseme, VisemeFrame, VisemeTrack

FACE_PHOTOS = (
    "sadtalker_happy.png",
    "sadtalker_sad.png",
    "sadtalker_happy1.png",  # RGBA, tiny
    "liveportrait_s2.jpg",  # 2048², black and white
    "liveportrait_s9_painting.jpg",
)


def syllable_utterance(seconds: float = 3.0, rate: int = 16000, seed: int = 0) -> Utterance:
    """Speech-like audio: consonant-vowel syllables of varying loudness with IPA phoneme timings."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    envelope = np.zeros(n)
    phonemes: list[Timing] = []
    start, k = 0.25, 0
    while start < seconds - 0.4:
        length = rng.uniform(0.14, 0.3)
        loud = rng.uniform(0.3, 1.0)
        inside = (t >= start) & (t < start + length)
        envelope[inside] = loud * np.sin(np.pi * (t[inside] - start) / length)
        onset = start + 0.2 * length
        phonemes.append(Timing(start, onset, "mbtslk"[k % 6]))
        phonemes.append(Timing(onset, start + length, "aoieɑu"[k % 6]))
        start += length + rng.uniform(0.05, 0.25)
        k += 1
    carrier = np.sin(2 * np.pi * 140 * t) + 0.4 * np.sin(2 * np.pi * 280 * t) + 0.1 * rng.standard_normal(n)
    audio = (0.5 * envelope * carrier / 1.5).astype(np.float32)
    return Utterance(
        audio=audio,
        sample_rate=rate,
        words=(Timing(0.25, phonemes[-1].end_s, "mama"),) if phonemes else (),
        phonemes=tuple(phonemes),
        language="en",
        text="mama",
    )


def envelope_track(utterance: Utterance, fps: float) -> VisemeTrack:
    """A mouth track that opens with loudness (stands in until the viseme module is on main)."""
    n = int(np.ceil(utterance.duration_s * fps - 1e-9))
    env = loudness_envelope(utterance.audio, utterance.sample_rate, fps, n)
    frames = []
    for i, e in enumerate(env):
        width = 0.6 * np.sin(i / 3.0) * min(1.0, 3.0 * float(e))  # alternate spread and rounded shapes
        mouth = MouthShape(open=float(e), width=float(width), teeth=float(min(1.0, 1.5 * e)))
        frames.append(VisemeFrame(viseme=Viseme.AA if e > 0.1 else Viseme.SILENCE, weight=1.0, mouth=mouth))
    return VisemeTrack(fps=fps, frames=tuple(frames))


def silent_utterance(seconds: float = 2.0, rate: int = 16000) -> Utterance:
    return Utterance(
        audio=np.zeros(int(seconds * rate), dtype=np.float32),
        sample_rate=rate,
        words=(),
        phonemes=(),
        language="en",
        text="",
    )


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of two greyscale images (Gaussian window σ=1.5, as Wang et al.)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
