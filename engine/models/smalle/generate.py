"""Batched generation: prompt prefill, the single-step decode loop (CUDA-graph captured on CUDA),
stopping, undelaying, candidate re-ranking and streaming.

All per-step work is `_decode_step`, a function of tensors only (no data-dependent Python), so exactly
the same code runs eagerly on the CPU and inside a captured CUDA graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch

from engine.models.smalle.delay import HEAD, TAIL, delay
from engine.models.smalle.gla import GatedLinearAttention
from engine.models.smalle.model import DecodeState, SmallE
from engine.models.smalle.paca import TextMemory
from engine.models.smalle.sampling import SamplingConfig, sample

TEXT_BUCKET = 32  # text lengths are padded up to a multiple of this, so graphs are reused
UNROLL = 8  # decode steps per graph replay (fewer CPU launches)


@dataclass(frozen=True)
class Request:
    """One utterance: text ids with [BOS]/[EOS]; for voice cloning, the prompt's raw codes [Q, P] (0..1023)
    whose transcript is already at the start of `text_ids`."""

    text_ids: Sequence[int]
    prompt_codes: torch.Tensor | None = None
    seed: int = 0
    # Initial-State Tuning: one learned GLA state [H, K, V] per backbone layer (see ist.py), or None.
    initial_state: Sequence[torch.Tensor] | None = None


@dataclass
class Generated:
    codes: torch.Tensor  # [Q, n] raw codes of the new audio (prompt frames removed), on the CPU
    prompt_codes: torch.Tensor  # [Q, P] the prompt frames as they came out of the decoder
    positions: torch.Tensor  # [n] expected text position (token index) per new frame, from β
    stopped: bool  # False when the length cap cut it
    monotonicity_loss: float = field(default=0.0)


@dataclass
class _Buffers:
    columns: torch.Tensor  # [B, Q, L] delayed columns; column 0 = HEAD
    forced_until: torch.Tensor  # [B, Q] columns below this come from the prompt
    tail_from: torch.Tensor  # [B] frame index from which the stop token is allowed
    seeds: torch.Tensor  # [B]
    positions: torch.Tensor  # [B, L] expected text position per step
    done: torch.Tensor  # [B] bool

    def copy_(self, other: _Buffers) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).copy_(getattr(other, name))


def _decode_step(
    model: SmallE, mem: TextMemory, state: DecodeState, buf: _Buffers, cfg: SamplingConfig
) -> None:
    t = state.time
    col = t + 1
    tokens = buf.columns.index_select(2, t.view(1)).squeeze(2)
    logits, beta = model.step_(mem, tokens, state)
    q = torch.arange(logits.shape[1], device=logits.device)
    frame = col - q - 1  # audio frame index this column carries, per codebook
    # Only codebook 0 decides to stop (the others follow through the delay pattern below), and not before
    # the prompt and the minimum length are over.
    allow_tail = ((frame.unsqueeze(0) >= buf.tail_from.unsqueeze(1)) & (q == 0)).unsqueeze(-1)  # [B, Q, 1]
    special = torch.arange(logits.shape[-1], device=logits.device) < TAIL  # PAD and HEAD are never sampled
    is_tail = torch.arange(logits.shape[-1], device=logits.device) == TAIL
    logits = logits.masked_fill(special | (is_tail & ~allow_tail), float("-inf"))
    nxt = sample(logits, buf.seeds, t, cfg)
    nxt = torch.where(frame < 0, HEAD, nxt)  # the delay pattern's leading fillers
    nxt = torch.where(tokens == TAIL, TAIL, nxt)  # once a codebook has stopped it stays stopped
    # Codebook i ends one column after codebook i-1 (the delay pattern), so all end on the same frame.
    after_previous = torch.cat(
        (torch.zeros_like(tokens[:, :1], dtype=torch.bool), tokens[:, :-1] == TAIL), dim=1
    )
    nxt = torch.where(after_previous, TAIL, nxt)
    prompt = buf.columns.index_select(2, col.view(1)).squeeze(2)
    nxt = torch.where(col < buf.forced_until, prompt, nxt)
    nxt = torch.where(buf.done.unsqueeze(1), TAIL, nxt)
    buf.columns.index_copy_(2, col.view(1), nxt.unsqueeze(2))
    index = torch.arange(beta.shape[-1], device=beta.device, dtype=beta.dtype)
    buf.positions.index_copy_(1, t.view(1), (beta @ index).float().unsqueeze(1))
    buf.done.logical_or_((nxt == TAIL).all(dim=1))


class _StaticDecoder:
    """UNROLL decode steps over static buffers, reused by every call of the same shape.

    With `capture` (CUDA) the steps are recorded once in a CUDA graph and replayed; otherwise the same
    steps run eagerly on the same buffers, which exercises the buffer handling on any device.
    """

    def __init__(
        self,
        model: SmallE,
        mem: TextMemory,
        state: DecodeState,
        buf: _Buffers,
        cfg: SamplingConfig,
        capture: bool,
    ) -> None:
        self.model, self.cfg = model, cfg
        self.mem, self.state, self.buf = mem, state, buf
        self.graph: torch.cuda.CUDAGraph | None = None
        if capture:
            saved_state, saved_buf = _clone_state(state), _clone_buffers(buf)
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                self._steps()  # warm-up (allocations, cuBLAS workspaces) outside the capture
            torch.cuda.current_stream().wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self._steps()
            state.copy_(saved_state)  # the warm-up advanced the buffers: put the inputs back
            buf.copy_(saved_buf)

    def _steps(self) -> None:
        for _ in range(UNROLL):
            _decode_step(self.model, self.mem, self.state, self.buf, self.cfg)

    def load(self, mem: TextMemory, state: DecodeState, buf: _Buffers) -> None:
        """Copy a new call's inputs into the static buffers (the positions table depends on N only)."""
        self.mem.keys.copy_(mem.keys)
        self.mem.values.copy_(mem.values)
        self.mem.mask.copy_(mem.mask)
        self.state.copy_(state)
        self.buf.copy_(buf)

    def replay(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        else:
            with torch.inference_mode():
                self._steps()


def _clone_state(s: DecodeState) -> DecodeState:
    return DecodeState([x.clone() for x in s.layers], s.pos.clone(), s.time.clone())


def _clone_buffers(b: _Buffers) -> _Buffers:
    return _Buffers(*(getattr(b, n).clone() for n in b.__dataclass_fields__))


class Generator:
    """Runs SMALL-E generation for batches of requests; caches CUDA graphs per (batch, text, length) shape."""

    def __init__(
        self,
        model: SmallE,
        cfg: SamplingConfig | None = None,
        cuda_graphs: bool = True,
        static_buffers: bool | None = None,
    ) -> None:
        """cuda_graphs: capture the decode loop on CUDA. static_buffers (default: on CUDA) reuses buffers
        per shape; it is what the graphs replay over, and can be switched on on the CPU to test it."""
        self.model = model.eval()
        for module in model.modules():
            if isinstance(module, GatedLinearAttention):
                module.fuse()
        self.cfg = cfg or SamplingConfig()
        self.cuda_graphs = cuda_graphs
        self.static_buffers = self.device.type == "cuda" if static_buffers is None else static_buffers
        self._decoders: dict[tuple[int, ...], _StaticDecoder] = {}

    @property
    def device(self) -> torch.device:
        return self.model.txt_embed.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.txt_embed.weight.dtype

    # -- setup -------------------------------------------------------------------------------------------

    def _prepare(
        self, requests: Sequence[Request]
    ) -> tuple[TextMemory, DecodeState, _Buffers, int, list[int]]:
        if not requests:
            raise ValueError("no requests")
        q, dev = self.model.cfg.n_quant, self.device
        for r in requests:
            if not r.text_ids or min(r.text_ids) < 0 or max(r.text_ids) >= self.model.cfg.n_txt_vocab:
                raise ValueError(f"text ids must be a non-empty list in 0..{self.model.cfg.n_txt_vocab - 1}")
        n_text = max(len(r.text_ids) for r in requests)
        n_text = -(-n_text // TEXT_BUCKET) * TEXT_BUCKET
        ids = torch.zeros(len(requests), n_text, dtype=torch.long)
        for i, r in enumerate(requests):
            ids[i, : len(r.text_ids)] = torch.as_tensor(list(r.text_ids), dtype=torch.long)
        prompts = [self._prompt(r) for r in requests]
        lengths = [p.shape[1] for p in prompts]
        columns_needed = max(lengths) + self.cfg.max_frames + q + 1
        length = -(-(columns_needed + UNROLL) // 256) * 256  # bucketed, with room for a partial replay
        columns = torch.full((len(requests), q, length), HEAD, dtype=torch.long)
        forced = torch.ones(len(requests), q, dtype=torch.long)
        for i, p in enumerate(prompts):
            if p.shape[1]:
                delayed = delay(p + self.model.cfg.n_special)[:, : p.shape[1] + q]  # no stop column
                columns[i, :, : delayed.shape[1]] = delayed
                forced[i] = torch.arange(q) + p.shape[1] + 1
        buf = _Buffers(
            columns.to(dev),
            forced.to(dev),
            torch.tensor([n + self.cfg.min_frames for n in lengths], device=dev),
            torch.tensor([r.seed for r in requests], dtype=torch.long, device=dev),
            torch.zeros(len(requests), length, device=dev),
            torch.zeros(len(requests), dtype=torch.bool, device=dev),
        )
        mask = torch.arange(n_text).unsqueeze(0) < torch.tensor(
            [len(r.text_ids) for r in requests]
        ).unsqueeze(1)
        with torch.inference_mode():
            mem = self.model.encode_text(ids.to(dev), mask.to(dev))
        state = self.model.new_state(len(requests), dev, self.dtype)
        for i, r in enumerate(requests):
            if r.initial_state is not None:
                if len(r.initial_state) != len(state.layers):
                    raise ValueError(
                        f"an initial state needs {len(state.layers)} layers, got {len(r.initial_state)}"
                    )
                for layer, init in zip(state.layers, r.initial_state, strict=True):
                    if init.shape != layer.shape[1:]:
                        raise ValueError(
                            f"initial state of shape {list(init.shape)}, expected {list(layer.shape[1:])}"
                        )
                    layer[i] = init.to(layer)
        return mem, state, buf, columns_needed, lengths

    def _prompt(self, r: Request) -> torch.Tensor:
        q = self.model.cfg.n_quant
        if r.prompt_codes is None:
            return torch.zeros(q, 0, dtype=torch.long)
        p = torch.as_tensor(r.prompt_codes, dtype=torch.long).cpu()
        if p.dim() != 2 or p.shape[0] < q:
            raise ValueError(f"prompt codes must be [{q}, T], got {list(p.shape)}")
        p = p[:q]
        if p.numel() and (p.min() < 0 or p.max() >= self.model.cfg.n_codebook):
            raise ValueError(f"prompt codes must lie in 0..{self.model.cfg.n_codebook - 1}")
        return p

    def _prefill(self, mem: TextMemory, state: DecodeState, buf: _Buffers, lengths: list[int]) -> None:
        # Columns 0..P_min-1 are known for every item: run them in parallel with the chunked form.
        known = min(lengths)
        if known == 0:
            return
        with torch.inference_mode():
            _, beta, after = self.model(mem, buf.columns[:, :, :known], state)
        state.copy_(after)
        index = torch.arange(beta.shape[-1], device=beta.device, dtype=beta.dtype)
        buf.positions[:, :known] = (beta @ index).float()

    def _stepper(
        self, mem: TextMemory, state: DecodeState, buf: _Buffers
    ) -> tuple[Callable[[], None], _Buffers]:
        """(run UNROLL steps, the buffers they write)."""
        if not self.static_buffers:

            def eager() -> None:
                with torch.inference_mode():
                    for _ in range(UNROLL):
                        _decode_step(self.model, mem, state, buf, self.cfg)

            return eager, buf
        key = (buf.columns.shape[0], mem.keys.shape[1], buf.columns.shape[2])
        decoder = self._decoders.get(key)
        if decoder is None:
            capture = self.cuda_graphs and self.device.type == "cuda"
            decoder = self._decoders[key] = _StaticDecoder(self.model, mem, state, buf, self.cfg, capture)
        else:
            decoder.load(mem, state, buf)
        return decoder.replay, decoder.buf

    # -- running -----------------------------------------------------------------------------------------

    def _run(self, requests: Sequence[Request]) -> Iterator[tuple[_Buffers, int, list[int], bool]]:
        """Yields (buffers, columns written so far, prompt lengths, finished) after every UNROLL steps."""
        with torch.inference_mode():
            mem, state, buf, needed, lengths = self._prepare(requests)
            self._prefill(mem, state, buf, lengths)
            run, buf = self._stepper(mem, state, buf)
        written = min(lengths) + 1  # columns 0..written-1 are final; decoding resumes at column written-1
        while True:
            run()
            written = min(written + UNROLL, needed)
            finished = written >= needed or bool(buf.done.all())
            yield buf, written, lengths, finished
            if finished:
                return

    def generate(self, requests: Sequence[Request]) -> list[Generated]:
        """Generate every request to its stop frame (or the length cap); results on the CPU."""
        for buf, written, lengths, finished in self._run(requests):
            if finished:
                return [self._collect(buf, i, lengths[i], written) for i in range(len(requests))]
        raise AssertionError("the decode loop always ends with a finished batch")

    def generate_best(self, request: Request, candidates: int) -> Generated:
        """Sample several candidates (seeds seed, seed+1, ...) and keep the most monotonic alignment."""
        batch = [dataclasses.replace(request, seed=request.seed + i) for i in range(candidates)]
        results = self.generate(batch)
        # Prefer candidates that reached the stop frame; among them the smallest backwards movement.
        return min(results, key=lambda g: (not g.stopped, g.monotonicity_loss))

    def stream(self, request: Request) -> Iterator[torch.Tensor]:
        """Yield raw codes [Q, n] of newly completed frames of one request while it is being generated."""
        q = self.model.cfg.n_quant
        sent = 0
        for buf, written, lengths, finished in self._run([request]):
            if finished:
                final = self._collect(buf, 0, lengths[0], written).codes
                if final.shape[1] > sent:
                    yield final[:, sent:]
                return
            # A frame f is complete once codebook Q-1's column f+Q is written and codebook 0 has not stopped.
            columns = buf.columns[0, :, :written].cpu()
            tail0 = (columns[0, 1:] == TAIL).nonzero()
            limit = int(tail0[0]) if tail0.numel() else written - q
            ready = min(limit, written - q) - lengths[0]
            if ready > sent:
                chunk = torch.stack(
                    [columns[i, i + 1 + lengths[0] + sent : i + 1 + lengths[0] + ready] for i in range(q)]
                )
                yield (chunk - self.model.cfg.n_special).clamp(min=0)
                sent = ready

    def _collect(self, buf: _Buffers, item: int, prompt: int, written: int) -> Generated:
        q, special = self.model.cfg.n_quant, self.model.cfg.n_special
        columns = buf.columns[item, :, :written].cpu()
        stopped = bool((columns == TAIL).all(dim=0).any())
        tail0 = (columns[0, 1:] == TAIL).nonzero()
        frames = int(tail0[0]) if tail0.numel() else written - 1
        frames = min(frames, written - q, prompt + self.cfg.max_frames)
        codes = torch.stack([columns[i, i + 1 : i + 1 + frames] for i in range(q)])
        codes = (codes - special).clamp(min=0)
        pos = buf.positions[item, prompt:frames].cpu()
        loss = float((pos[:-1] - pos[1:]).clamp(min=0).sum()) if pos.numel() > 1 else 0.0
        return Generated(codes[:, prompt:], codes[:, :prompt], pos, stopped, loss)
