"""Token sampling with counter-based noise.

The Gumbel noise for (seed, step, codebook, token) is a pure function of those integers, so a batch item
draws exactly the same tokens alone or in any batch, on the CPU or on CUDA, and sampling can live inside
a CUDA graph (no generator state to advance). Gumbel-max over the top-k logits / temperature is a draw
from the same distribution as the official top-k multinomial.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

_MASK32 = 0xFFFFFFFF


@dataclass(frozen=True)
class SamplingConfig:
    top_k: int = 100
    temperature: float = 1.0
    sampled_codebooks: int = 1  # codebooks below this index are sampled, the rest greedy (official default)
    max_frames: int = 1000  # length cap, new audio frames (13.3 s at 75 Hz)
    min_frames: int = 0  # the stop token is refused before this many new frames (benchmarks force lengths)

    def __post_init__(self) -> None:
        if self.top_k < 1 or self.temperature <= 0 or self.max_frames < 1 or self.sampled_codebooks < 0:
            raise ValueError(f"invalid sampling settings: {self}")
        if self.min_frames > self.max_frames:
            raise ValueError("min_frames cannot exceed max_frames")


def _mix(x: torch.Tensor) -> torch.Tensor:
    # 32-bit integer hash held in int64; every product stays below 2**59, so nothing overflows.
    x = ((x >> 16) ^ x) * 0x45D9F3B & _MASK32
    x = ((x >> 16) ^ x) * 0x45D9F3B & _MASK32
    return (x >> 16) ^ x


def gumbel_noise(seeds: torch.Tensor, step: torch.Tensor, codebooks: int, vocab: int) -> torch.Tensor:
    """seeds [B] (int64), step 0-d int64 → Gumbel(0, 1) noise [B, codebooks, vocab] in float32."""
    dev = seeds.device
    cell = torch.arange(codebooks, device=dev).view(-1, 1) * vocab + torch.arange(vocab, device=dev)
    x = _mix(_mix(seeds & _MASK32).view(-1, 1, 1) ^ (step & _MASK32))
    x = _mix(x ^ cell)
    u = ((x >> 8).float() + 0.5) * (1.0 / (1 << 24))
    return -torch.log(-torch.log(u))


def sample(
    logits: torch.Tensor, seeds: torch.Tensor, step: torch.Tensor, cfg: SamplingConfig
) -> torch.Tensor:
    """logits [B, Q, vocab] → tokens [B, Q]: top-k/temperature on the first codebooks, greedy on the rest."""
    logits = logits.float()
    n = min(cfg.sampled_codebooks, logits.shape[1])
    greedy = logits[:, n:].argmax(dim=-1)
    if n == 0:
        return greedy
    head = logits[:, :n]
    k = min(cfg.top_k, head.shape[-1])
    kth = head.topk(k, dim=-1).values[..., -1:]
    scaled = (head / cfg.temperature).masked_fill(head < kth, float("-inf"))
    drawn = (scaled + gumbel_noise(seeds, step, n, head.shape[-1])).argmax(dim=-1)
    return torch.cat((drawn, greedy), dim=1)
