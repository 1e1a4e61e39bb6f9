"""The MusicGen-style delay pattern (codebook i shifted right by i+1, HEAD=1 before, TAIL=2 after)."""

from __future__ import annotations

import torch

HEAD, TAIL = 1, 2


def delay(tokens: torch.Tensor) -> torch.Tensor:
    """[Q, n] special-offset tokens → [Q, n+Q+1] delayed columns (column 0 is all HEAD, the last all TAIL)."""
    q, n = tokens.shape
    out = torch.full((q, n + q + 1), TAIL, dtype=tokens.dtype, device=tokens.device)
    for i in range(q):
        out[i, : i + 1] = HEAD
        out[i, i + 1 : i + 1 + n] = tokens[i]
    return out


def undelay(columns: torch.Tensor, n_frames: int | None = None) -> torch.Tensor:
    """Inverse of `delay` over columns that include column 0: [Q, L] → [Q, n], n = L-Q-1 unless given."""
    q, length = columns.shape
    n = length - q - 1 if n_frames is None else n_frames
    if n < 0 or n + q > length:
        raise ValueError(f"{length} columns cannot hold {n} frames of {q} codebooks")
    return torch.stack([columns[i, i + 1 : i + 1 + n] for i in range(q)])
