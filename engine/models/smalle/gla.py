"""Gated linear attention (GLA) in plain PyTorch, plus the blocks SMALL-E builds from it.

Recurrence per head, with key width K and value width V:
    S_t = diag(exp g_t) S_{t-1} + k_t v_tᵀ,   o_t = (q_t / √K)ᵀ S_t,   g_t ≤ 0
`gla_recurrent` runs it token by token (generation); `gla_chunked` evaluates the same maths chunk-parallel
(training, prompts). Inside a chunk the pairwise decay exp(B_t − B_s) is formed only for s ≤ t, so every
factor is ≤ 1 and the form stays stable however strongly the gates decay.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def gla_recurrent(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, g: torch.Tensor, state: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """q, k, g: [B, H, T, K]; v: [B, H, T, V]; state [B, H, K, V] → (o [B, H, T, V], final state)."""
    b, h, t, kd = q.shape
    s = q.new_zeros(b, h, kd, v.shape[-1]) if state is None else state.clone()
    scale = kd**-0.5
    outs = []
    for i in range(t):
        s = s * g[:, :, i].exp().unsqueeze(-1) + k[:, :, i].unsqueeze(-1) * v[:, :, i].unsqueeze(-2)
        outs.append(torch.einsum("bhk,bhkv->bhv", q[:, :, i] * scale, s))
    return torch.stack(outs, dim=2), s


def gla_step_(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, g: torch.Tensor, state: torch.Tensor
) -> torch.Tensor:
    """One token, updating `state` in place (static buffers for CUDA graphs). q, k, g [B,H,K]; v [B,H,V]."""
    state.mul_(g.exp().unsqueeze(-1)).add_(k.unsqueeze(-1) * v.unsqueeze(-2))
    return torch.einsum("bhk,bhkv->bhv", q * q.shape[-1] ** -0.5, state)


def gla_chunked(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    g: torch.Tensor,
    state: torch.Tensor | None = None,
    chunk: int = 16,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Chunk-parallel GLA, equal to `gla_recurrent` up to rounding. Same shapes and result."""
    b, h, t, kd = q.shape
    vd = v.shape[-1]
    pad = (-t) % chunk
    if pad:
        # Zero keys/values/gates after the end leave the state unchanged (exp(0) = 1 decay).
        q, k, v, g = (F.pad(x, (0, 0, 0, pad)) for x in (q, k, v, g))
    n = (t + pad) // chunk
    q, k, g = (x.reshape(b, h, n, chunk, kd) for x in (q, k, g))
    v = v.reshape(b, h, n, chunk, vd)
    q = q * kd**-0.5
    cum = g.cumsum(dim=3)  # B_t within each chunk
    causal = torch.ones(chunk, chunk, dtype=torch.bool, device=q.device).tril()
    diff = cum.unsqueeze(4) - cum.unsqueeze(3)  # [b,h,n,t,s,K] = B_t − B_s
    decay = diff.masked_fill(~causal[:, :, None], float("-inf")).exp()
    scores = torch.einsum("bhntk,bhnsk,bhntsk->bhnts", q, k, decay)
    out = scores @ v  # contribution of the current chunk
    last = cum[:, :, :, -1:]  # B_L
    chunk_state = torch.einsum("bhnsk,bhnsv->bhnkv", k * (last - cum).exp(), v)
    q_in = q * cum.exp()
    chunk_decay = last.squeeze(3).exp().unsqueeze(-1)  # [b,h,n,K,1]
    s = q.new_zeros(b, h, kd, vd) if state is None else state
    inter = []
    for i in range(n):
        inter.append(q_in[:, :, i] @ s)
        s = s * chunk_decay[:, :, i] + chunk_state[:, :, i]
    out = out + torch.stack(inter, dim=2)
    return out.reshape(b, h, n * chunk, vd)[:, :, :t], s


def accumulator_dtype(dtype: torch.dtype) -> torch.dtype:
    """The recurrent state sums many decayed terms: keep it in float32 when the weights are 16-bit."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


class RMSNormSwishGate(nn.Module):
    """FLA's fused gate: RMSNorm(o) · w ⊙ SiLU(gate), with one weight shared by all heads."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, o: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(o, (o.shape[-1],), self.weight, self.eps) * F.silu(gate)


class GatedLinearAttention(nn.Module):
    """FLA's GLA layer as SMALL-E configures it: expand_k 1, expand_v 2, low-rank gate /16, no conv."""

    def __init__(self, d: int, heads: int, low_rank: int, normalizer: float, eps: float) -> None:
        super().__init__()
        self.heads, self.normalizer = heads, normalizer
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, 2 * d, bias=False)
        self.g_proj = nn.Linear(d, 2 * d, bias=False)
        self.gk_proj = nn.Sequential(nn.Linear(d, low_rank, bias=False), nn.Linear(low_rank, d, bias=True))
        self.o_proj = nn.Linear(2 * d, d, bias=False)
        self.g_norm_swish_gate = RMSNormSwishGate(2 * d // heads, eps)
        # Inference only: q, k, v, gate and the gate's first low-rank layer as one matrix (one kernel).
        self.register_buffer("fused_in", None, persistent=False)

    def fuse(self) -> None:
        """Concatenate the input projections for inference; call again after the weights change."""
        with torch.no_grad():
            parts = (self.q_proj, self.k_proj, self.v_proj, self.g_proj, self.gk_proj[0])
            self.fused_in = torch.cat([p.weight for p in parts]).detach().clone()

    def state_shape(self, batch: int) -> tuple[int, int, int, int]:
        d = self.q_proj.in_features
        return batch, self.heads, d // self.heads, 2 * d // self.heads

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        # [..., heads*w] → [..., heads, w]
        return x.unflatten(-1, (self.heads, -1))

    def _project(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """x → (q, k, v, log-gate, output gate), all split into heads."""
        if self.fused_in is not None and not self.training:
            d = x.shape[-1]
            q, k, v, gate, low = F.linear(x, self.fused_in).split(
                (d, d, 2 * d, 2 * d, self.fused_in.shape[0] - 6 * d), -1
            )
            gk = self.gk_proj[1](low)
        else:
            q, k, v, gate, gk = (
                self.q_proj(x),
                self.k_proj(x),
                self.v_proj(x),
                self.g_proj(x),
                self.gk_proj(x),
            )
        gk = F.logsigmoid(gk) / self.normalizer
        return tuple(self._split(p) for p in (q, k, v, gk, gate))

    def _output(self, o: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return self.o_proj(self.g_norm_swish_gate(o, gate).flatten(-2))

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None, chunk: int = 16
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, T, d] → (y [B, T, d], final state)."""
        acc = accumulator_dtype(x.dtype)
        *qkvg, gate = self._project(x)
        q, k, v, g = (p.transpose(1, 2).to(acc) for p in qkvg)
        o, state = gla_chunked(q, k, v, g, state, chunk)
        return self._output(o.transpose(1, 2).to(x.dtype), gate), state

    def step_(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """x [B, d] → y [B, d]; `state` is updated in place."""
        *qkvg, gate = self._project(x)
        q, k, v, g = (p.to(state.dtype) for p in qkvg)
        return self._output(gla_step_(q, k, v, g, state).to(x.dtype), gate)


class SwiGLU(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        hidden = 4 * d // 3
        self.p_in = nn.Linear(d, 2 * hidden)
        self.p_out = nn.Linear(hidden, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.p_in(x).chunk(2, dim=-1)
        return self.p_out(F.silu(gate) * value)


class GLABlock(nn.Module):
    """Pre-LN residual block: x + GLA(LN(x)), then x + SwiGLU(LN(x)) (official `MixingBlock`)."""

    def __init__(self, d: int, heads: int, low_rank: int, normalizer: float, eps: float) -> None:
        super().__init__()
        self.tmix = GatedLinearAttention(d, heads, low_rank, normalizer, eps)
        self.cmix = SwiGLU(d)
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.norm2 = nn.LayerNorm(d, eps=eps)

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None, chunk: int = 16
    ) -> tuple[torch.Tensor, torch.Tensor]:
        y, state = self.tmix(self.norm1(x), state, chunk)
        x = x + y
        return x + self.cmix(self.norm2(x)), state

    def step_(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        x = x + self.tmix.step_(self.norm1(x), state)
        return x + self.cmix(self.norm2(x))
