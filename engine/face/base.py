"""The FaceEngine protocol: Utterance + FaceSettings → batches of RGB frames."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np

from engine.types import FaceSettings, Utterance


@runtime_checkable
class FaceEngine(Protocol):
    name: str

    def frame_count(self, utterance: Utterance, settings: FaceSettings) -> int:
        """How many frames render() yields in total (the audio's length at settings.fps, rounded up).

        Raises ModelMissing when the engine cannot render with these settings (e.g. no weights), so
        callers can choose another engine before any frame is drawn.
        """
        ...

    def render(self, utterance: Utterance, settings: FaceSettings) -> Iterator[np.ndarray]:
        """Yield uint8 arrays of shape (n, size, size, 3), RGB, in order, until frame_count frames."""
        ...
