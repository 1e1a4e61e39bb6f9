"""Rotary position embedding as `rotary-embedding-torch` computes it: interleaved pairs, partial width."""

from __future__ import annotations

import torch


def rotary_freqs(rot_dim: int, theta: float = 10000.0) -> torch.Tensor:
    """The `rotary.freqs` constants the official checkpoints store: [rot_dim // 2]."""
    return 1.0 / theta ** (torch.arange(0, rot_dim, 2, dtype=torch.float64)[: rot_dim // 2] / rot_dim)


def apply_rotary(x: torch.Tensor, positions: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Rotate the first 2·len(freqs) channels of x [..., T, D] at `positions` [T] (float or int)."""
    rot = 2 * freqs.shape[0]
    angles = positions.to(freqs.dtype).unsqueeze(-1) * freqs  # [T, rot/2]
    angles = angles.repeat_interleave(2, dim=-1)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    head, tail = x[..., :rot], x[..., rot:]
    pairs = head.unflatten(-1, (-1, 2))
    rotated = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)
    return torch.cat((head * cos + rotated * sin, tail), dim=-1)
