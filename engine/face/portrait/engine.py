"""The `portrait` face engine: the person's own photo, talking, on the CPU."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np

from engine.errors import InvalidInput
from engine.face.motion import IdleMotion, Pose
from engine.face.portrait.animate import PortraitAnimator
from engine.face.portrait.prepare import PreparedFace
from engine.face.visemes import frame_count, viseme_track
from engine.types import REST_MOUTH, FaceSettings, MouthShape, Utterance, VisemeTrack

TrackFn = Callable[[Utterance, float], VisemeTrack]
BATCH = 8  # frames per yielded array: small enough to stream, large enough to amortise overhead
_CACHE_SIZE = 4


def loudness_envelope(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """Per-video-frame speech loudness in 0…1 (RMS over each frame's span, robustly normalised)."""
    if n_frames <= 0:
        return np.zeros(0)
    edges = np.round(np.arange(n_frames + 1) * sample_rate / fps).astype(np.int64)
    edges = np.clip(edges, 0, len(audio))
    squared = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    counts = np.maximum(edges[1:] - edges[:-1], 1)
    rms = np.sqrt((squared[edges[1:]] - squared[edges[:-1]]) / counts)
    top = float(np.percentile(rms, 95)) if rms.any() else 0.0
    return np.clip(rms / top, 0.0, 1.0) if top > 1e-6 else np.zeros(n_frames)


class PortraitFaceEngine:
    """FaceEngine that animates FaceSettings.prepared_face (a serialised PreparedFace)."""

    name = "portrait"

    def __init__(self, track: TrackFn | None = None) -> None:
        """track: utterance, fps → mouth shapes per frame (engine.face.visemes by default)."""
        self._track = track or viseme_track
        self._animators: OrderedDict[tuple[bytes, int], PortraitAnimator] = OrderedDict()
        self._lock = threading.Lock()

    def frame_count(self, utterance: Utterance, settings: FaceSettings) -> int:
        return frame_count(utterance.duration_s, settings.fps)

    def render(self, utterance: Utterance, settings: FaceSettings) -> Iterator[np.ndarray]:
        animator = self.animator(settings)  # fail on a bad face before anything is yielded
        return self._frames(animator, utterance, settings)

    def animator(self, settings: FaceSettings) -> PortraitAnimator:
        """The animator for a prepared face at a size, built once and kept for the next messages."""
        data = settings.prepared_face
        if not data:
            raise InvalidInput(
                "The portrait avatar needs your photo first. Send a photo of your face to set it up."
            )
        key = (hashlib.sha256(data).digest(), settings.size)
        with self._lock:
            if key in self._animators:
                self._animators.move_to_end(key)
                return self._animators[key]
        animator = PortraitAnimator(PreparedFace.from_bytes(data), settings.size)
        with self._lock:
            self._animators[key] = animator
            while len(self._animators) > _CACHE_SIZE:
                self._animators.popitem(last=False)
        return animator

    def plan(self, utterance: Utterance, settings: FaceSettings) -> list[tuple[MouthShape, Pose]]:
        """The mouth shape and idle pose of every frame of a clip, in order."""
        n = self.frame_count(utterance, settings)
        track = self._track(utterance, float(settings.fps))
        energy = loudness_envelope(utterance.audio, utterance.sample_rate, settings.fps, n)
        # Same face → same idle rhythm; different people do not blink in lockstep.
        seed = int.from_bytes(hashlib.sha256(settings.prepared_face or b"").digest()[:4], "little")
        idle = IdleMotion(n, settings.fps, seed=seed, energy=energy)
        return [(track.frames[i].mouth if i < len(track.frames) else REST_MOUTH, idle[i]) for i in range(n)]

    def _frames(
        self, animator: PortraitAnimator, utterance: Utterance, settings: FaceSettings
    ) -> Iterator[np.ndarray]:
        batch = np.empty((BATCH, settings.size, settings.size, 3), dtype=np.uint8)
        filled = 0
        for mouth, pose in self.plan(utterance, settings):
            batch[filled] = animator.frame(mouth, pose)
            filled += 1
            if filled == BATCH:
                yield batch.copy()
                filled = 0
        if filled:
            yield batch[:filled].copy()
