"""The audio codec interface SMALL-E needs (EnCodec 24 kHz, 3 kbps; decoded with Vocos).

The codec itself lives elsewhere; the generator and the speech adapter only rely on this protocol.
Codes are raw codebook indices 0..1023 (without SMALL-E's +3 special-token offset).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import torch

CODEC_FRAME_RATE = 75
CODEC_SAMPLE_RATE = 24000
CODEC_QUANTIZERS = 4


@runtime_checkable
class AudioCodec(Protocol):
    sample_rate: int  # of decoded audio: 24000

    def encode(self, wave: np.ndarray, sample_rate: int) -> torch.Tensor:
        """Mono float audio at any rate → LongTensor codes [4, T] at 75 Hz."""
        ...

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """LongTensor codes [4, T] → mono float32 audio at 24 kHz (T × 320 samples)."""
        ...
