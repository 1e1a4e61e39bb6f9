"""Idle motion shared by every face engine: natural blinks, a little head movement and breathing.

All motion is a deterministic function of (seed, frame index), so the same message renders the same
clip, and a face in silence moves only by this idle motion. Amplitudes are deliberately small: a
person talking in a video call moves a few degrees, not more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLINK_CLOSE_S = 0.07  # eyelids close fast…
BLINK_OPEN_S = 0.13  # …and reopen more slowly
BLINK_GAP_RANGE_S = (2.0, 6.0)  # people blink every 2–6 s at rest
BREATH_HZ = 0.25  # about 15 breaths a minute


@dataclass(frozen=True, slots=True)
class Pose:
    """Idle pose for one frame.

    blink: 0 eyes open … 1 fully closed. Angles in degrees. dx, dy: shift as a fraction of the frame
    size. breath: -1 … 1, a slow rise and fall of the shoulders and head.
    """

    blink: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    dx: float = 0.0
    dy: float = 0.0
    breath: float = 0.0


STILL = Pose()


def blink_curve(t_since_start: np.ndarray) -> np.ndarray:
    """Eyelid closure (0…1) for times measured from the start of a blink; 0 outside it."""
    t = np.asarray(t_since_start, dtype=np.float64)
    closing = np.clip(t / BLINK_CLOSE_S, 0.0, 1.0)
    opening = np.clip(1.0 - (t - BLINK_CLOSE_S) / BLINK_OPEN_S, 0.0, 1.0)
    closure = np.where(t < BLINK_CLOSE_S, closing, opening)
    closure = np.where((t < 0) | (t > BLINK_CLOSE_S + BLINK_OPEN_S), 0.0, closure)
    return 0.5 - 0.5 * np.cos(np.pi * closure)  # ease in and out


class IdleMotion:
    """Blinks, head sway and breathing for a clip of `n_frames` at `fps`.

    `amplitude` scales head motion (0 keeps the head still; blinks and breathing stay).
    `energy`, if given, is a per-frame speech loudness in 0…1: people move their head a little more
    while they talk, so sway grows with it.
    """

    def __init__(
        self,
        n_frames: int,
        fps: float,
        *,
        seed: int = 0,
        amplitude: float = 1.0,
        energy: np.ndarray | None = None,
    ) -> None:
        self.n_frames, self.fps = n_frames, fps
        rng = np.random.default_rng(seed)
        t = np.arange(n_frames) / fps
        self._blink = self._blinks(t, rng)
        # Sums of incommensurate slow sines: smooth, never repeating visibly, deterministic.
        sway = 1.0 if energy is None else 1.0 + 0.8 * _smooth(np.clip(energy, 0.0, 1.0), fps, 0.5)
        self._yaw = amplitude * sway * _wander(t, rng, 2.0, (0.11, 0.23, 0.37))
        self._pitch = amplitude * sway * _wander(t, rng, 1.2, (0.13, 0.29, 0.41))
        self._roll = amplitude * sway * _wander(t, rng, 0.8, (0.07, 0.19))
        self._dx = amplitude * _wander(t, rng, 0.004, (0.05, 0.17))
        self._dy = amplitude * _wander(t, rng, 0.003, (0.06, 0.15))
        self._breath = np.sin(2 * np.pi * BREATH_HZ * t + rng.uniform(0, 2 * np.pi))

    @staticmethod
    def _blinks(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        closure = np.zeros_like(t)
        if len(t) == 0:
            return closure
        start = rng.uniform(0.6, 2.0)  # never blink on the very first frames
        while start < t[-1]:
            closure = np.maximum(closure, blink_curve(t - start))
            start += rng.uniform(*BLINK_GAP_RANGE_S)
        return closure

    def __len__(self) -> int:
        return self.n_frames

    def __getitem__(self, i: int) -> Pose:
        return Pose(
            blink=float(self._blink[i]),
            yaw=float(self._yaw[i]),
            pitch=float(self._pitch[i]),
            roll=float(self._roll[i]),
            dx=float(self._dx[i]),
            dy=float(self._dy[i]),
            breath=float(self._breath[i]),
        )

    def poses(self) -> list[Pose]:
        return [self[i] for i in range(self.n_frames)]


def _wander(t: np.ndarray, rng: np.random.Generator, scale: float, freqs: tuple[float, ...]) -> np.ndarray:
    out = np.zeros_like(t)
    for f in freqs:
        out += rng.uniform(0.5, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return scale * out / len(freqs)


def _smooth(x: np.ndarray, fps: float, seconds: float) -> np.ndarray:
    """Exponential moving average forward and backward (zero phase)."""
    if len(x) == 0:
        return x.astype(np.float64)
    alpha = 1.0 - np.exp(-1.0 / max(fps * seconds, 1e-6))
    y = np.asarray(x, dtype=np.float64).copy()
    for rng_ in (range(1, len(y)), range(len(y) - 2, -1, -1)):
        step = 1 if rng_.step > 0 else -1
        for i in rng_:
            y[i] = y[i - step] + alpha * (y[i] - y[i - step])
    return y
