"""Initial-State Tuning (IST, from Lina-Speech): adapt the voice by learning the GLA layers' initial state.

The model stays frozen. Each of the 2·gla_layers backbone GLA layers (not pos_net) gets a low-rank initial
state S_0 = 0.02 · Σ_r a_r b_rᵀ per head, trained with Adam (lr 0.1) on next-token cross-entropy over a
person's (text, codes) pairs. Gradients flow through the pure-PyTorch chunked GLA, which — unlike FLA's
fused chunk kernel — does not detach the initial state. Stored as safetensors with the official key names
`layer{i}_k` (a) and `layer{i}_v` (b).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from engine.models.smalle.delay import delay
from engine.models.smalle.errors import CheckpointMismatch
from engine.models.smalle.model import DecodeState, SmallE

SCALE = 0.02


@dataclass
class InitialState:
    a: list[torch.Tensor]  # per layer [H, K, R]
    b: list[torch.Tensor]  # per layer [H, R, V]

    def states(self) -> list[torch.Tensor]:
        """The per-layer initial states [H, K, V] the generator takes (Request.initial_state)."""
        return [SCALE * (a @ b) for a, b in zip(self.a, self.b, strict=True)]

    def save(self, path: Path) -> None:
        tensors = {}
        for i, (a, b) in enumerate(zip(self.a, self.b, strict=True)):
            tensors[f"layer{i}_k"] = a.detach().float().contiguous().cpu()
            tensors[f"layer{i}_v"] = b.detach().float().contiguous().cpu()
        save_file(tensors, str(path))

    @classmethod
    def load(cls, path: Path) -> InitialState:
        try:
            tensors = load_file(str(path))
        except Exception as exc:  # safetensors raises its own error type for damaged files
            raise CheckpointMismatch(f"cannot read initial state {path}: {exc}") from exc
        n = len(tensors) // 2
        try:
            return cls([tensors[f"layer{i}_k"] for i in range(n)], [tensors[f"layer{i}_v"] for i in range(n)])
        except KeyError as exc:
            raise CheckpointMismatch(f"{path} is not a SMALL-E initial state (no {exc.args[0]})") from exc


def new_initial_state(model: SmallE, rank: int = 1, seed: int = 0) -> InitialState:
    gen = torch.Generator().manual_seed(seed)
    rnn = model.attentive_rnn
    a, b = [], []
    for block in [*rnn.encoder, *rnn.decoder]:
        _, h, k, v = block.tmix.state_shape(1)
        a.append(torch.randn(h, k, rank, generator=gen))
        b.append(torch.randn(h, rank, v, generator=gen) * 0.02)
    return InitialState(a, b)


def teacher_forcing_loss(
    model: SmallE, text_ids: torch.Tensor, codes: torch.Tensor, init: Sequence[torch.Tensor] | None
) -> torch.Tensor:
    """Mean cross-entropy of the next delayed column for one utterance (text [N], raw codes [Q, T])."""
    columns = delay(codes + model.cfg.n_special).unsqueeze(0)  # [1, Q, T+Q+1]
    mem = model.encode_text(text_ids.unsqueeze(0))
    state = None
    if init is not None:
        layers = [s.unsqueeze(0).to(model.txt_embed.weight.device) for s in init]
        pos_shape = model.attentive_rnn.cross_att.pos_net.tmix.state_shape(1)
        pos = torch.zeros(pos_shape, device=layers[0].device, dtype=layers[0].dtype)
        state = DecodeState(layers, pos, torch.zeros((), dtype=torch.long))
    logits, _, _ = model(mem, columns[:, :, :-1], state)
    return F.cross_entropy(logits.flatten(0, 2).float(), columns[:, :, 1:].flatten())


def tune_initial_state(
    model: SmallE,
    examples: Sequence[tuple[Sequence[int], torch.Tensor]],
    steps: int = 100,
    rank: int = 1,
    lr: float = 0.1,
    seed: int = 0,
) -> InitialState:
    """Learn an initial state from (text ids with [BOS]/[EOS], raw codes [Q, T]) pairs; model frozen."""
    if not examples:
        raise ValueError("IST needs at least one (text, codes) example")
    device = model.txt_embed.weight.device
    init = new_initial_state(model, rank, seed)
    params = [t.to(device).requires_grad_() for t in (*init.a, *init.b)]
    n = len(init.a)
    init = InitialState(params[:n], params[n:])
    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    was_training = model.training
    model.eval()
    optimiser = torch.optim.Adam(params, lr=lr)
    try:
        for step in range(steps):
            text, codes = examples[step % len(examples)]
            ids = torch.as_tensor(list(text), dtype=torch.long, device=device)
            loss = teacher_forcing_loss(model, ids, torch.as_tensor(codes, device=device), init.states())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    finally:
        for p, flag in zip(model.parameters(), frozen, strict=True):
            p.requires_grad_(flag)
        model.train(was_training)
    return InitialState([a.detach() for a in init.a], [b.detach() for b in init.b])
