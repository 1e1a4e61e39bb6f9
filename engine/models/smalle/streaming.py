"""Streaming audio: decode each new chunk of codes as it arrives.

The codec's decoder is convolutional, so a chunk decoded alone would click at its edges. Each chunk is
decoded together with the last `context` frames before it and only the new samples are emitted.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from engine.models.smalle.codec import CODEC_FRAME_RATE, AudioCodec
from engine.models.smalle.generate import Generator, Request


def stream_audio(
    gen: Generator, request: Request, codec: AudioCodec, context: int = 8
) -> Iterator[np.ndarray]:
    """Yield float32 mono audio chunks (codec.sample_rate) for one request while it is generated."""
    per_frame = codec.sample_rate // CODEC_FRAME_RATE
    history = torch.zeros(gen.model.cfg.n_quant, 0, dtype=torch.long)
    for codes in gen.stream(request):
        done = history.shape[1]
        history = torch.cat((history, codes), dim=1)
        start = max(0, done - context)
        wave = np.asarray(codec.decode(history[:, start:]), dtype=np.float32).reshape(-1)
        yield wave[(done - start) * per_frame :]
