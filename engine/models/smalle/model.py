"""The SMALL-E network: text encoder → GLA stack → position-aware cross-attention → GLA stack → heads.

Parameter names follow the official state_dict (minus the constant `rotary.freqs`), so imported weights
load without renaming. `forward` processes whole sequences with chunked GLA (training, prompt prefill);
`step_` advances one frame with the recurrent form, updating a `DecodeState` in place so the same code
can be captured in a CUDA graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from engine.models.smalle.config import SmallEConfig
from engine.models.smalle.gla import GLABlock, accumulator_dtype
from engine.models.smalle.paca import BlindCrossAttention, TextMemory
from engine.models.smalle.text_encoder import TextEncoder


class MultiEmbedding(nn.Module):
    """One embedding table per codebook ([Q, vocab, d]); a frame's embedding is their sum."""

    def __init__(self, q: int, vocab: int, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(q, vocab, d))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, Q, ...] → [B, ..., d]."""
        q = torch.arange(self.weight.shape[0], device=tokens.device).view(1, -1, *([1] * (tokens.dim() - 2)))
        return self.weight[q, tokens].sum(dim=1)


class MultiHead(nn.Module):
    """Per-codebook logits heads ([Q, vocab, d], no bias)."""

    def __init__(self, q: int, vocab: int, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(q, vocab, d) * d**-0.5)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h [B, ..., d] → logits [B, Q, ..., vocab]."""
        return torch.einsum("b...d,qld->bq...l", h, self.weight)


class AttentiveGLA(nn.Module):
    def __init__(self, cfg: SmallEConfig) -> None:
        super().__init__()
        args = (cfg.gla_heads, cfg.gate_low_rank, cfg.gate_normalizer, cfg.norm_eps)
        self.encoder = nn.ModuleList(GLABlock(cfg.d_model, *args) for _ in range(cfg.gla_layers))
        self.decoder = nn.ModuleList(GLABlock(cfg.d_model, *args) for _ in range(cfg.gla_layers))
        self.cross_att = BlindCrossAttention(
            cfg.d_model,
            cfg.d_context,
            cfg.d_blind,
            cfg.pos_heads,
            cfg.gate_low_rank,
            cfg.gate_normalizer,
            cfg.norm_eps,
        )


@dataclass
class DecodeState:
    """Everything one decoding step reads and writes; fixed size, independent of the audio length."""

    layers: list[torch.Tensor]  # 2·gla_layers GLA states [B, H, K, V]
    pos: torch.Tensor  # pos_net state
    time: torch.Tensor  # 0-d long: index of the next input column

    def copy_(self, other: DecodeState) -> None:
        for mine, theirs in zip(self.layers, other.layers, strict=True):
            mine.copy_(theirs)
        self.pos.copy_(other.pos)
        self.time.copy_(other.time)


class SmallE(nn.Module):
    def __init__(self, cfg: SmallEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.txt_embed = nn.Embedding(cfg.n_txt_vocab, cfg.d_context, padding_idx=0)
        self.txt_encoder = TextEncoder(cfg.d_context, cfg.enc_heads, cfg.enc_layers, cfg.norm_eps)
        self.rvq_embed = MultiEmbedding(cfg.n_quant, cfg.vocab, cfg.d_model)
        self.attentive_rnn = AttentiveGLA(cfg)
        self.logits_head = MultiHead(cfg.n_quant, cfg.vocab, cfg.d_model)

    def encode_text(self, ids: torch.Tensor, mask: torch.Tensor | None = None) -> TextMemory:
        """ids [B, N] (with [BOS]/[EOS], right-padded with 0) → the memory the decoder attends to."""
        mask = ids.new_ones(ids.shape, dtype=torch.bool) if mask is None else mask
        text = self.txt_encoder(self.txt_embed(ids), mask)
        return self.attentive_rnn.cross_att.memory(text, mask)

    def new_state(self, batch: int, device: torch.device, dtype: torch.dtype) -> DecodeState:
        dtype = accumulator_dtype(dtype)
        rnn = self.attentive_rnn
        blocks = [*rnn.encoder, *rnn.decoder]
        layers = [torch.zeros(b.tmix.state_shape(batch), device=device, dtype=dtype) for b in blocks]
        pos = torch.zeros(rnn.cross_att.pos_net.tmix.state_shape(batch), device=device, dtype=dtype)
        return DecodeState(layers, pos, torch.zeros((), dtype=torch.long, device=device))

    def forward(
        self, mem: TextMemory, tokens: torch.Tensor, state: DecodeState | None = None, chunk: int = 16
    ) -> tuple[torch.Tensor, torch.Tensor, DecodeState]:
        """Delayed input columns tokens [B, Q, T] → (logits [B, Q, T, vocab], β [B, T, N], state after).

        Starting from `state` (or from scratch), so a prompt can be prefilled in parallel and then
        continued with `step_`.
        """
        rnn = self.attentive_rnn
        start = 0 if state is None else int(state.time)
        n = len(rnn.encoder)
        layers: list[torch.Tensor] = []
        h = self.rvq_embed(tokens)
        for i, block in enumerate(rnn.encoder):
            h, s = block(h, None if state is None else state.layers[i], chunk)
            layers.append(s)
        context, beta, pos = rnn.cross_att(h, mem, start, None if state is None else state.pos, chunk)
        h = h + context
        for i, block in enumerate(rnn.decoder):
            h, s = block(h, None if state is None else state.layers[n + i], chunk)
            layers.append(s)
        time = torch.tensor(start + tokens.shape[-1], dtype=torch.long, device=tokens.device)
        return self.logits_head(h), beta, DecodeState(layers, pos, time)

    def step_(
        self, mem: TextMemory, tokens: torch.Tensor, state: DecodeState
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One input column tokens [B, Q] → (logits [B, Q, vocab], β [B, N]); `state` advances in place."""
        rnn = self.attentive_rnn
        n = len(rnn.encoder)
        h = self.rvq_embed(tokens)
        for i, block in enumerate(rnn.encoder):
            h = block.step_(h, state.layers[i])
        context, beta = rnn.cross_att.step_(h, mem, state.time, state.pos)
        h = h + context
        for i, block in enumerate(rnn.decoder):
            h = block.step_(h, state.layers[n + i])
        state.time.add_(1)
        return self.logits_head(h), beta
