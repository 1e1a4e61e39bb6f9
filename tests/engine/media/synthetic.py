"""Synthetic test media: a moving gradient and a tone with a little noise."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def gradient_batches(n: int, width: int, height: int, batch: int = 8) -> Iterator[np.ndarray]:
    """n frames of a diagonal gradient that slides a few pixels per frame (motion, like a face engine)."""
    y, x = np.mgrid[0:height, 0:width]
    for i in range(0, n, batch):
        frames = []
        for k in range(i, min(n, i + batch)):
            r = ((x * 255 // max(width - 1, 1) + 3 * k) % 256).astype(np.uint8)
            g = ((y * 255 // max(height - 1, 1) + 2 * k) % 256).astype(np.uint8)
            frames.append(np.stack([r, g, np.full_like(r, 96)], axis=-1))
        yield np.stack(frames)


def tone(seconds: float, rate: int = 24_000, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    noise = np.random.default_rng(0).standard_normal(len(t))
    return (0.3 * np.sin(2 * np.pi * freq * t) + 0.03 * noise).astype(np.float32)
