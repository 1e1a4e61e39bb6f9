"""Vocos for EnCodec tokens (gemelo-ai/vocos, `charactr/vocos-encodec-24khz`): codes → 24 kHz waveform.

Three parts, named as in the official state dict so its pytorch_model.bin loads without renaming:
  * feature_extractor.codebook_weights: the EnCodec codebooks stacked [n_codebooks × bins, D]; a frame's
    feature is the sum of the entries of its K codes (K = 4 at 3 kb/s);
  * backbone: a ConvNeXt stack whose layer norms are adaptive, i.e. scaled and shifted by a learned
    vector per bandwidth id (1.5/3/6/12 kb/s → 0/1/2/3);
  * head: a linear layer to log-magnitude and phase, then an inverse STFT with "same" padding (frame t
    covers samples around t × hop, and T frames give exactly T × hop samples).

`VocosStream` decodes codes as they arrive: it waits just long enough for the receptive field (ConvNeXt
kernels plus the ISTFT overlap) that its output is the one-shot output, sample for sample.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import yaml
from torch import nn

from engine.models.smalle.encodec import check_state_dict, load_state_dict_file, write_atomically
from engine.models.smalle.errors import CheckpointMismatch

VOCOS_WEIGHTS, VOCOS_CONFIG = "vocos.safetensors", "vocos.json"
_KERNEL = 7  # ConvNeXt and input-embedding kernel in the official backbone


@dataclass(frozen=True)
class VocosConfig:
    """Defaults: charactr/vocos-encodec-24khz."""

    input_channels: int = 128
    dim: int = 384
    intermediate_dim: int = 1152
    num_layers: int = 8
    adanorm_num_embeddings: int | None = 4
    n_fft: int = 1280
    hop_length: int = 320
    bandwidths: tuple[float, ...] = (1.5, 3.0, 6.0, 12.0)
    bins: int = 1024  # entries per EnCodec codebook
    n_codebooks: int = 16  # codebooks stacked in codebook_weights (enough for the highest bandwidth)
    sample_rate: int = 24000

    def __post_init__(self) -> None:
        object.__setattr__(self, "bandwidths", tuple(float(b) for b in self.bandwidths))
        problems = []
        if (self.n_fft - self.hop_length) % 2 or self.hop_length > self.n_fft:
            problems.append("n_fft - hop_length must be even and not negative ('same' padding)")
        if self.adanorm_num_embeddings is not None and self.adanorm_num_embeddings != len(self.bandwidths):
            problems.append("one adaptive-norm embedding per bandwidth")
        if min(self.input_channels, self.dim, self.intermediate_dim, self.num_layers, self.bins) < 1:
            problems.append("sizes must be positive")
        if problems:
            raise CheckpointMismatch(f"invalid Vocos config: {'; '.join(problems)}")

    @property
    def receptive_radius(self) -> int:
        """Frames on each side that one backbone output frame depends on (embedding + ConvNeXt convs)."""
        return (_KERNEL // 2) * (self.num_layers + 1)

    def bandwidth_id(self, n_codebooks: int) -> int:
        """The bandwidth id whose bitrate K codebooks of `bins` entries at 75 Hz give (4 → 3 kb/s → 1)."""
        kbps = n_codebooks * math.log2(self.bins) * (self.sample_rate / self.hop_length) / 1000
        for i, bw in enumerate(self.bandwidths):
            if math.isclose(bw, kbps):
                return i
        usable = ", ".join(str(round(b * 1000 / (math.log2(self.bins) * 75))) for b in self.bandwidths)
        raise ValueError(f"Vocos decodes {usable} codebooks, not {n_codebooks}")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["bandwidths"] = list(self.bandwidths)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VocosConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointMismatch(f"unknown Vocos config keys: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise CheckpointMismatch(f"invalid Vocos config: {exc}") from exc


# -- modules (names follow vocos/{feature_extractors,models,modules,heads,spectral_ops}.py) ---------------


class EncodecFeatures(nn.Module):
    """Codes → features: one embedding table per codebook, summed over the codebooks in use."""

    def __init__(self, cfg: VocosConfig) -> None:
        super().__init__()
        self.bins = cfg.bins
        self.codebook_weights = nn.Parameter(torch.randn(cfg.n_codebooks * cfg.bins, cfg.input_channels))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [B, K, T] → features [B, input_channels, T]."""
        offsets = torch.arange(codes.shape[1], device=codes.device) * self.bins
        ids = codes + offsets.view(1, -1, 1)
        return F.embedding(ids, self.codebook_weights).sum(dim=1).transpose(1, 2)


class AdaLayerNorm(nn.Module):
    def __init__(self, num_embeddings: int, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps
        self.scale = nn.Embedding(num_embeddings, dim)
        self.shift = nn.Embedding(num_embeddings, dim)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """x [B, T, C]; cond: bandwidth ids [B] (or [1] for the whole batch)."""
        x = F.layer_norm(x, (self.dim,), eps=self.eps)
        return x * self.scale(cond)[:, None] + self.shift(cond)[:, None]


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, intermediate_dim: int, layer_scale: float, adanorm: int | None) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, _KERNEL, padding=_KERNEL // 2, groups=dim)
        self.norm: nn.Module = AdaLayerNorm(adanorm, dim) if adanorm else nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        y = self.dwconv(x).transpose(1, 2)
        y = self.norm(y, cond) if isinstance(self.norm, AdaLayerNorm) else self.norm(y)
        y = self.gamma * self.pwconv2(F.gelu(self.pwconv1(y)))
        return x + y.transpose(1, 2)


class VocosBackbone(nn.Module):
    def __init__(self, cfg: VocosConfig) -> None:
        super().__init__()
        adanorm = cfg.adanorm_num_embeddings
        self.embed = nn.Conv1d(cfg.input_channels, cfg.dim, _KERNEL, padding=_KERNEL // 2)
        self.norm: nn.Module = AdaLayerNorm(adanorm, cfg.dim) if adanorm else nn.LayerNorm(cfg.dim, eps=1e-6)
        self.convnext = nn.ModuleList(
            ConvNeXtBlock(cfg.dim, cfg.intermediate_dim, 1 / cfg.num_layers, adanorm)
            for _ in range(cfg.num_layers)
        )
        self.final_layer_norm = nn.LayerNorm(cfg.dim, eps=1e-6)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """features [B, C_in, T] → hidden [B, T, dim]."""
        x = self.embed(x).transpose(1, 2)
        x = self.norm(x, cond) if isinstance(self.norm, AdaLayerNorm) else self.norm(x)
        x = x.transpose(1, 2)
        for block in self.convnext:
            x = block(x, cond)
        return self.final_layer_norm(x.transpose(1, 2))


class ISTFT(nn.Module):
    """Inverse STFT with "same" padding: (n_fft - hop) / 2 samples trimmed at each end of the full
    overlap-add, normalised by the squared-window envelope (torch.istft cannot trim that way)."""

    def __init__(self, n_fft: int, hop_length: int) -> None:
        super().__init__()
        self.n_fft, self.hop_length, self.pad = n_fft, hop_length, (n_fft - hop_length) // 2
        self.register_buffer("window", torch.hann_window(n_fft))

    def _overlap_add(self, frames: torch.Tensor) -> torch.Tensor:
        """frames [B, n_fft, T] → [B, (T - 1) · hop + n_fft]."""
        length = (frames.shape[-1] - 1) * self.hop_length + self.n_fft
        out = F.fold(frames, (1, length), kernel_size=(1, self.n_fft), stride=(1, self.hop_length))
        return out[:, 0, 0]

    def forward(
        self, spec: torch.Tensor, first: int = 0, start: int | None = None, end: int | None = None
    ) -> torch.Tensor:
        """Complex spec [B, n_fft/2 + 1, F] holding frames first..first+F-1 of a longer sequence →
        the samples of output frames start..end-1 (default: all F frames), [B, (end - start) · hop].

        The result is exact when the frames given include every frame overlapping those samples (from
        start - 2 to end + 1 here), or reach the sequence's true ends."""
        n = spec.shape[-1]
        start = first if start is None else start
        end = first + n if end is None else end
        window = self.window.float()  # a model cast to 16 bits must not round its window
        frames = torch.fft.irfft(spec, self.n_fft, dim=1, norm="backward") * window[None, :, None]
        signal = self._overlap_add(frames)
        envelope = self._overlap_add(window.square().expand(1, n, -1).transpose(1, 2))
        lo = (start - first) * self.hop_length + self.pad
        hi = (end - first) * self.hop_length + self.pad
        return signal[:, lo:hi] / envelope[:, lo:hi]


class ISTFTHead(nn.Module):
    def __init__(self, cfg: VocosConfig) -> None:
        super().__init__()
        self.out = nn.Linear(cfg.dim, cfg.n_fft + 2)
        self.istft = ISTFT(cfg.n_fft, cfg.hop_length)

    def spectrum(self, x: torch.Tensor) -> torch.Tensor:
        """hidden [B, T, dim] → complex spectrum [B, n_fft/2 + 1, T]."""
        mag, phase = self.out(x).transpose(1, 2).chunk(2, dim=1)
        mag = torch.exp(mag.float()).clip(max=1e2)  # the official guard against exploding magnitudes
        return torch.polar(mag, phase.float())  # in fp32: the inverse FFT has no half-precision kernels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.istft(self.spectrum(x))


class Vocos(nn.Module):
    def __init__(self, cfg: VocosConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or VocosConfig()
        self.feature_extractor = EncodecFeatures(self.cfg)
        self.backbone = VocosBackbone(self.cfg)
        self.head = ISTFTHead(self.cfg)

    def check_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """[K, T] or [B, K, T] integer codes within the codebooks → [B, K, T] long."""
        if codes.dim() == 2:
            codes = codes[None]
        if codes.dim() != 3 or codes.is_floating_point() or codes.is_complex() or codes.dtype == torch.bool:
            raise ValueError(f"codes must be an integer tensor [K, T] or [B, K, T], got {tuple(codes.shape)}")
        if codes.shape[1] > self.cfg.n_codebooks:
            raise ValueError(f"Vocos has {self.cfg.n_codebooks} codebooks, got codes for {codes.shape[1]}")
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.cfg.bins):
            raise ValueError(f"codes must lie in 0..{self.cfg.bins - 1}")
        return codes.long()

    def _cond(self, n_codebooks: int, batch: int, device: torch.device) -> torch.Tensor | None:
        if self.cfg.adanorm_num_embeddings is None:
            return None
        return torch.full((batch,), self.cfg.bandwidth_id(n_codebooks), device=device, dtype=torch.long)

    def hidden(self, codes: torch.Tensor) -> torch.Tensor:
        """Checked codes [B, K, T] → backbone output [B, T, dim]; the bandwidth follows from K."""
        param = self.feature_extractor.codebook_weights
        cond = self._cond(codes.shape[1], codes.shape[0], param.device)
        return self.backbone(self.feature_extractor(codes.to(param.device)).to(param.dtype), cond)

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [K, T] or [B, K, T] → audio [B, T × hop] (float32)."""
        codes = self.check_codes(codes)
        if codes.shape[-1] == 0:
            return torch.zeros(codes.shape[0], 0)
        return self.head(self.hidden(codes)).float()

    def stream(self) -> VocosStream:
        return VocosStream(self)


class VocosStream:
    """Incremental decoding of one utterance: push codes [K, n] as they are generated, get audio back.

    Each backbone stage (the input conv + norm, then each ConvNeXt block) has a 7-tap convolution, so its
    output for frame t is final once its input reaches t + 3; the ISTFT then needs spectra up to t + 1 for
    the samples of frame t. Each stage keeps the last 6 input frames and processes only new ones, so audio
    lags the codes by 2 + 3 × 9 = 29 frames until `flush`, the work per push is about that of its frames,
    and the concatenated chunks equal `Vocos.decode` of all the codes.
    """

    def __init__(self, vocos: Vocos) -> None:
        self.vocos = vocos
        backbone = vocos.backbone
        self._stages: list[Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]] = [
            lambda x, cond: _channels_last(backbone.norm, backbone.embed(x), cond),
            *(lambda x, cond, block=block: block(x, cond) for block in backbone.convnext),
        ]
        self.lookahead = 2 + (_KERNEL // 2) * len(self._stages)
        self._inputs: list[torch.Tensor | None] = [None] * len(self._stages)  # stage input frames …
        self._starts = [0] * len(self._stages)  # … beginning at this global frame
        self._next = [0] * len(self._stages)  # first frame whose stage output is not final yet
        self._spec: torch.Tensor | None = None  # spectra from global frame self._spec_start on
        self._spec_start = 0
        self._emitted = 0  # frames whose audio was returned
        self._total = 0
        self._n_codebooks: int | None = None
        self._closed = False

    @property
    def pending_frames(self) -> int:
        return self._total - self._emitted

    @property
    def buffered_frames(self) -> int:
        """Frames held across all stages (bounded, however long the utterance)."""
        held = sum(x.shape[-1] for x in self._inputs if x is not None)
        return held + (0 if self._spec is None else self._spec.shape[-1])

    def push(self, codes: torch.Tensor) -> torch.Tensor:
        """Add codes [K, n]; returns the audio [n' × hop] that is now final (possibly empty)."""
        if self._closed:
            raise ValueError("this stream was flushed; start a new one for the next utterance")
        codes = self.vocos.check_codes(codes)
        if codes.shape[0] != 1:
            raise ValueError("a stream decodes one utterance: push codes [K, n]")
        if self._n_codebooks is not None and codes.shape[1] != self._n_codebooks:
            raise ValueError(f"every push needs {self._n_codebooks} codebooks, got {codes.shape[1]}")
        self._n_codebooks = codes.shape[1]
        self._total += codes.shape[-1]
        return self._advance(codes, final=False)

    def flush(self) -> torch.Tensor:
        """The audio of every frame not returned yet; the stream ends here."""
        audio = self._advance(None, final=True)
        self._closed = True
        return audio

    @torch.inference_mode()
    def _advance(self, codes: torch.Tensor | None, final: bool) -> torch.Tensor:
        vocos = self.vocos
        param = vocos.feature_extractor.codebook_weights
        x = None
        if codes is not None and codes.shape[-1]:
            x = vocos.feature_extractor(codes.to(param.device)).to(param.dtype)
        cond = None if self._n_codebooks is None else vocos._cond(self._n_codebooks, 1, param.device)
        for i, stage in enumerate(self._stages):
            x = self._run_stage(i, stage, x, cond, final)
        if x is not None and x.shape[-1]:
            spec = vocos.head.spectrum(vocos.backbone.final_layer_norm(x.transpose(1, 2)))
            self._spec = spec if self._spec is None else torch.cat([self._spec, spec], dim=-1)
        return self._emit(final)

    def _run_stage(
        self,
        i: int,
        stage: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
        new: torch.Tensor | None,
        cond: torch.Tensor | None,
        final: bool,
    ) -> torch.Tensor | None:
        """Append new input frames to stage i and return its outputs that just became final."""
        held = self._inputs[i]
        if new is not None and new.shape[-1]:
            held = new if held is None else torch.cat([held, new], dim=-1)
        self._inputs[i] = held
        if held is None:
            return None
        reach, start = _KERNEL // 2, self._starts[i]
        # Output t is final when its inputs t-3..t+3 are held, or lie beyond a true end of the sequence,
        # where the stage's own zero padding is what one-shot decoding uses too.
        first = self._next[i] - start
        last = held.shape[-1] if final else held.shape[-1] - reach
        if last <= first:
            return None
        out = stage(held, cond)[..., first:last]
        self._next[i] = start + last
        keep_from = max(0, self._next[i] - reach)
        self._inputs[i], self._starts[i] = held[..., keep_from - start :], keep_from
        return out

    def _emit(self, final: bool) -> torch.Tensor:
        if self._spec is None:
            return torch.zeros(0)
        spec_end = self._spec_start + self._spec.shape[-1]
        end = self._total if final else min(spec_end - 2, self._total - self.lookahead)
        start = self._emitted
        if end <= start:
            return torch.zeros(0)
        lo = max(self._spec_start, start - 2)
        spec = self._spec[..., lo - self._spec_start :]
        audio = self.vocos.head.istft(spec, first=lo, start=start, end=end)[0].float()
        self._emitted = end
        drop = max(0, end - 2 - self._spec_start)  # spectra the next samples still overlap start at end-2
        self._spec, self._spec_start = self._spec[..., drop:], self._spec_start + drop
        return audio


def _channels_last(norm: nn.Module, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
    """Apply a (conditioned) layer norm over the channels of [B, C, T]."""
    y = x.transpose(1, 2)
    y = norm(y, cond) if isinstance(norm, AdaLayerNorm) else norm(y)
    return y.transpose(1, 2)


# -- checkpoints ---------------------------------------------------------------------------------------------

_ENCODEC_PREFIX = "feature_extractor.encodec."  # the frozen EnCodec inside Vocos; the codec has its own


def config_from_yaml(path: Path) -> VocosConfig:
    """The official config.yaml (jsonargparse class_path/init_args layout) → VocosConfig."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CheckpointMismatch(f"cannot read the Vocos config {path.name}: {exc}") from exc
    try:
        fe, bb, head = (data[k] for k in ("feature_extractor", "backbone", "head"))
        fe_args, bb_args, head_args = (fe.get("init_args", {}), bb["init_args"], head["init_args"])
        kinds = (fe["class_path"], bb["class_path"], head["class_path"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise CheckpointMismatch(f"{path.name} is not a Vocos config.yaml") from exc
    expected = ("EncodecFeatures", "VocosBackbone", "ISTFTHead")
    if tuple(k.rsplit(".", 1)[-1] for k in kinds) != expected:
        raise CheckpointMismatch(
            f"{path.name} describes {', '.join(kinds)}; the codec needs the EnCodec Vocos "
            "(charactr/vocos-encodec-24khz) with a VocosBackbone and an ISTFTHead"
        )
    if fe_args.get("encodec_model", "encodec_24khz") != "encodec_24khz":
        raise CheckpointMismatch(f"{path.name} is a Vocos for {fe_args['encodec_model']}, not encodec_24khz")
    if head_args.get("padding", "same") != "same":
        raise CheckpointMismatch(f"{path.name} uses ISTFT padding {head_args['padding']!r}; only 'same'")
    if head_args.get("dim", bb_args.get("dim")) != bb_args.get("dim"):
        raise CheckpointMismatch(f"{path.name}: the head width differs from the backbone width")
    try:
        return VocosConfig(
            input_channels=int(bb_args["input_channels"]),
            dim=int(bb_args["dim"]),
            intermediate_dim=int(bb_args["intermediate_dim"]),
            num_layers=int(bb_args["num_layers"]),
            adanorm_num_embeddings=bb_args.get("adanorm_num_embeddings"),
            n_fft=int(head_args["n_fft"]),
            hop_length=int(head_args["hop_length"]),
            bandwidths=tuple(fe_args.get("bandwidths", (1.5, 3.0, 6.0, 12.0))),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointMismatch(f"{path.name} lacks a Vocos setting: {exc}") from exc


def vocos_state_dict(checkpoint: Path, config: Path) -> tuple[VocosConfig, dict[str, torch.Tensor]]:
    """Read the official pytorch_model.bin + config.yaml, checked against the architecture."""
    cfg = config_from_yaml(config)
    name = Path(checkpoint).name
    sd = load_state_dict_file(Path(checkpoint), "Vocos")
    sd = {k: v for k, v in sd.items() if not k.startswith(_ENCODEC_PREFIX)}
    table = sd.get("feature_extractor.codebook_weights")
    if table is None:
        if any(k.startswith(("encoder.model.", "quantizer.vq.", "encoder.layers.")) for k in sd):
            raise CheckpointMismatch(f"{name} is an EnCodec checkpoint, not the Vocos one")
        raise CheckpointMismatch(
            f"{name} is not a Vocos-for-EnCodec checkpoint: it has no feature_extractor.codebook_weights"
        )
    if table.dim() != 2 or table.shape[0] % cfg.bins:
        raise CheckpointMismatch(f"{name}: codebook_weights {list(table.shape)} is not a stack of codebooks")
    cfg = dataclasses.replace(cfg, n_codebooks=table.shape[0] // cfg.bins)
    # The window is a constant buffer; a file saved without buffers still describes the same model.
    sd.setdefault("head.istft.window", torch.hann_window(cfg.n_fft))
    with torch.device("meta"):
        expected = Vocos(cfg).state_dict()
    check_state_dict(sd, expected, name, "Vocos")
    return cfg, {k: v.detach().to(torch.float32).contiguous() for k, v in sd.items()}


def import_vocos(checkpoint: Path, config: Path, out_dir: Path) -> Path:
    """Official Vocos pytorch_model.bin + config.yaml → out_dir/vocos.safetensors + vocos.json."""
    cfg, weights = vocos_state_dict(Path(checkpoint), Path(config))
    write_atomically(
        Path(out_dir),
        {VOCOS_WEIGHTS: weights, VOCOS_CONFIG: cfg.to_json()},
    )
    return Path(out_dir)


def load_vocos(folder: Path, device: str | torch.device = "cpu") -> Vocos:
    """The model written by `import_vocos`, in eval mode on `device`."""
    folder = Path(folder)
    try:
        data = json.loads((folder / VOCOS_CONFIG).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointMismatch(f"cannot read the Vocos config {folder / VOCOS_CONFIG}: {exc}") from exc
    if not isinstance(data, dict):
        raise CheckpointMismatch(f"the Vocos config {folder / VOCOS_CONFIG} is not a JSON object")
    cfg = VocosConfig.from_dict(data)
    weights = load_state_dict_file(folder / VOCOS_WEIGHTS, "Vocos")
    with torch.device("meta"):
        model = Vocos(cfg)
    check_state_dict(weights, model.state_dict(), VOCOS_WEIGHTS, "Vocos")
    model.load_state_dict(weights, assign=True)
    return model.to(device).eval()
