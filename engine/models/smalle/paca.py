"""Position-aware cross-attention (official `BlindCrossAttention`).

A content attention α over the text gives an expected text position e_t = Σ α p_j; a small causal GLA
block (pos_net) tracks that position over time; the read-out β is computed from the tracked position
alone ("blind"), which keeps the alignment monotonic and reduces skipped or repeated words.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from engine.models.smalle.gla import GLABlock
from engine.models.smalle.rotary import apply_rotary, rotary_freqs


def sin_positions(n: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """[n, dim]: sines then cosines (concatenated, not interleaved), ω_i = 10000^(-2i/dim)."""
    omega = 10000.0 ** (-2.0 * torch.arange(dim // 2, dtype=torch.float64, device=device) / dim)
    angles = torch.arange(n, dtype=torch.float64, device=device).unsqueeze(-1) * omega
    return torch.cat((angles.sin(), angles.cos()), dim=-1)


@dataclass
class TextMemory:
    """What the decoder reads from the text: computed once per utterance."""

    keys: torch.Tensor  # [B, N, d] (normalised, rotated)
    values: torch.Tensor  # [B, N, d]
    positions: torch.Tensor  # [N, d_blind]
    mask: torch.Tensor  # [B, N], True = real token


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)


class BlindCrossAttention(nn.Module):
    def __init__(
        self, d: int, d_context: int, d_blind: int, pos_heads: int, low_rank: int, norm: float, eps: float
    ):
        super().__init__()
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d_context, d)
        self.v = nn.Linear(d_context, d)
        self.ln_q = nn.LayerNorm(d, eps=eps)
        self.ln_k = nn.LayerNorm(d, eps=eps)
        self.ln_v = nn.LayerNorm(d, eps=eps)
        self.pos_net = GLABlock(d_blind, pos_heads, low_rank, norm, eps)
        self.d_blind = d_blind
        self.register_buffer("freqs", rotary_freqs(d // 2).float(), persistent=False)

    def memory(self, text: torch.Tensor, mask: torch.Tensor) -> TextMemory:
        pos = torch.arange(text.shape[1], device=text.device)
        keys = apply_rotary(self.ln_k(self.k(text)), pos, self.freqs)
        positions = sin_positions(text.shape[1], self.d_blind, text.device).to(text.dtype)
        return TextMemory(keys, self.ln_v(self.v(text)), positions, mask)

    def _expected_position(self, h: torch.Tensor, times: torch.Tensor, mem: TextMemory) -> torch.Tensor:
        # h [B, T, d] at decoder times [T] → e [B, T, d_blind]
        q = apply_rotary(self.ln_q(self.q(h)), times, self.freqs)
        alpha = _masked_softmax(q @ mem.keys.transpose(1, 2) * q.shape[-1] ** -0.5, mem.mask[:, None, :])
        return alpha @ mem.positions

    def _read(self, z: torch.Tensor, mem: TextMemory) -> tuple[torch.Tensor, torch.Tensor]:
        beta = _masked_softmax(z @ mem.positions.T * self.d_blind**-0.5, mem.mask[:, None, :])
        return beta @ mem.values, beta

    def forward(
        self,
        h: torch.Tensor,
        mem: TextMemory,
        start: int = 0,
        state: torch.Tensor | None = None,
        chunk: int = 16,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """h [B, T, d] from decoder time `start` → (context [B, T, d], β [B, T, N], pos_net state)."""
        times = torch.arange(start, start + h.shape[1], device=h.device)
        z, state = self.pos_net(self._expected_position(h, times, mem), state, chunk)
        context, beta = self._read(z, mem)
        return context, beta, state

    def step_(
        self, h: torch.Tensor, mem: TextMemory, time: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """h [B, d] at decoder time `time` (0-d tensor) → (context [B, d], β [B, N]); state in place."""
        e = self._expected_position(h.unsqueeze(1), time.reshape(1), mem).squeeze(1)
        z = self.pos_net.step_(e, state)
        context, beta = self._read(z.unsqueeze(1), mem)
        return context.squeeze(1), beta.squeeze(1)
