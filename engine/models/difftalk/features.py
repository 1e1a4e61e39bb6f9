"""DiffTalk's inputs: per-frame audio windows, the 39 upper-face landmarks and the lower-face masks.

Official layout per video frame at 25 fps: 8 neighbouring windows × 16 audio steps (50 Hz) × F features.
The official F=29 are DeepSpeech 0.1.0 character logits; the default extractor here computes 29 log-mel bands
with torchaudio instead (no external model), so models must be trained on the extractor they run with.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch
import torchaudio
from PIL import Image, ImageDraw

# The 39 points of the 68-point iBUG layout the landmark net sees: the sides of the jaw, brows, nose, eyes.
UPPER_FACE = np.array([0, 1, 2, 3, *range(13, 48)], dtype=np.int64)
# The lower-face polygon of the official sampler: jaw points 2-14 closed by the nose bottom (33).
MASK_POLYGON = np.array([*range(2, 15), 33], dtype=np.int64)
NOSE_BOTTOM = 33


class AudioFeatureExtractor(Protocol):
    """Waveform → (n_frames, windows, steps, feature_dim) float32, aligned to video frames."""

    feature_dim: int

    def __call__(
        self, audio: np.ndarray, sample_rate: int, n_frames: int, fps: float = 25.0
    ) -> np.ndarray: ...


class LogMelFeatures:
    """Log-mel spectra at 50 Hz in the official window layout.

    Each frame i gets `windows` windows centred on the neighbouring frames [i − windows/2, i + windows/2)
    (AD-NeRF's convention, zero windows past the ends); each window holds `steps` 20-ms steps centred on its
    frame. Features are standardised per band over the utterance, so loudness does not move the mouth.
    """

    def __init__(
        self, feature_dim: int = 29, windows: int = 8, steps: int = 16, sample_rate: int = 16000
    ) -> None:
        self.feature_dim, self.windows, self.steps, self.sample_rate = (
            feature_dim,
            windows,
            steps,
            sample_rate,
        )
        self._mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=512,
            win_length=400,  # 25 ms
            hop_length=sample_rate // 50,  # 20 ms: two steps per 25-fps frame
            n_mels=feature_dim,
            f_min=60.0,
            f_max=7600.0,
            center=True,
        )

    def steps_at_50hz(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        wave = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
        if sample_rate != self.sample_rate:
            wave = torchaudio.functional.resample(wave, sample_rate, self.sample_rate)
        spec = torch.log(self._mel(wave) + 1e-6).T  # (steps, F)
        spec = (spec - spec.mean(0)) / (spec.std(0, unbiased=False) + 1e-3) if len(spec) > 1 else spec * 0
        return spec.numpy().astype(np.float32)

    def __call__(self, audio: np.ndarray, sample_rate: int, n_frames: int, fps: float = 25.0) -> np.ndarray:
        if audio.ndim != 1:
            raise ValueError("audio must be mono (1-D)")
        if n_frames < 0 or sample_rate <= 0 or fps <= 0:
            raise ValueError("n_frames, sample_rate and fps must be positive")
        steps = self.steps_at_50hz(audio, sample_rate)
        # Frame centres in 50-Hz steps; any fps maps to the nearest steps.
        centres = np.round(np.arange(n_frames) * 50.0 / fps).astype(np.int64)
        half = self.steps // 2
        padded = np.concatenate([np.zeros((half, self.feature_dim), np.float32), steps])
        padded = np.concatenate([padded, np.zeros((half + self.steps, self.feature_dim), np.float32)])
        per_frame = np.zeros((n_frames, self.steps, self.feature_dim), np.float32)
        for i, c in enumerate(centres):
            start = min(int(c), len(padded) - self.steps)  # c - half + half (the leading padding)
            per_frame[i] = padded[start : start + self.steps]
        return stack_windows(per_frame, self.windows)


def stack_windows(per_frame: np.ndarray, windows: int = 8) -> np.ndarray:
    """(N, steps, F) → (N, windows, steps, F) from frames [i − w/2, i + w/2), zero past the ends."""
    n = len(per_frame)
    half = windows // 2
    out = np.zeros((n, windows, *per_frame.shape[1:]), dtype=np.float32)
    for w in range(windows):
        src = np.arange(n) + w - half
        ok = (src >= 0) & (src < n)
        out[ok, w] = per_frame[src[ok]]
    return out


def upper_face_points(landmarks68: np.ndarray, crop_size: float, model_size: int = 256) -> np.ndarray:
    """The 39 conditioning points in `model_size`-pixel units (not normalised), from 68-point landmarks given
    in the pixels of a `crop_size` crop. (N, 68, 2) → (N, 39, 2)."""
    return (landmarks68[..., UPPER_FACE, :] * (model_size / crop_size)).astype(np.float32)


def lower_face_mask(landmarks68: np.ndarray, size: int, landmark_scale: float = 1.0) -> np.ndarray:
    """1 inside the lower-face polygon (the region to generate), 0 elsewhere; float32 (size, size).

    `landmark_scale` maps landmark pixels to mask pixels (e.g. 64/256 for the latent mask).
    """
    pts = landmarks68[MASK_POLYGON] * landmark_scale
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).polygon([(float(x), float(y)) for x, y in pts], fill=255)
    return (np.asarray(img, dtype=np.float32) / 255.0).round()


def masked_frame_rows(landmarks68: np.ndarray, size: int, landmark_scale: float = 1.0) -> int:
    """First image row hidden in the masked conditioning frame: everything from the nose bottom down."""
    y = float(landmarks68[NOSE_BOTTOM, 1]) * landmark_scale
    return int(np.clip(np.ceil(y), 0, size))
