"""The non-causal text encoder: pre-LN transformer blocks with half-width rotary attention."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.smalle.gla import SwiGLU
from engine.models.smalle.rotary import apply_rotary, rotary_freqs


class SelfAttention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        # Rotary over half of each head's channels, as the official code builds it (dim = head_dim / 2).
        self.register_buffer("freqs", rotary_freqs(d // heads // 2).float(), persistent=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x [B, N, d], mask [B, N] (True = real token) → [B, N, d]."""
        q, k, v = (p.unflatten(-1, (self.heads, -1)).transpose(1, 2) for p in self.qkv(x).chunk(3, dim=-1))
        pos = torch.arange(x.shape[1], device=x.device)
        q, k = apply_rotary(q, pos, self.freqs), apply_rotary(k, pos, self.freqs)
        # The official mask is a no-op (see docs); masking padding keeps batched = unbatched results.
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        return out.transpose(1, 2).flatten(-2)


class EncoderBlock(nn.Module):
    def __init__(self, d: int, heads: int, eps: float) -> None:
        super().__init__()
        self.tmix = SelfAttention(d, heads)
        self.cmix = SwiGLU(d)
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.norm2 = nn.LayerNorm(d, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.tmix(self.norm1(x), mask)
        return x + self.cmix(self.norm2(x))


class TextEncoder(nn.Module):
    def __init__(self, d: int, heads: int, layers: int, eps: float) -> None:
        super().__init__()
        self.sa = nn.ModuleList(EncoderBlock(d, heads, eps) for _ in range(layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for block in self.sa:
            x = block(x, mask)
        return x
