"""EnCodec 24 kHz (facebookresearch/encodec): SEANet encoder/decoder and the residual vector quantiser.

The modules mirror the official ones closely enough that our state-dict names are the official names
(`encoder.model.0.conv.conv.weight_g`, `quantizer.vq.layers.0._codebook.embed`, …), so the official
`encodec_24khz-d7cc33bc.th` loads without renaming. The 24 kHz model is causal and weight-normalised; it
has 32 codebooks of 1024 entries at 75 Hz, of which SMALL-E uses the first 4 (3 kb/s).

`import_encodec` turns the official checkpoint (or the Hugging Face `facebook/encodec_24khz` weights)
into encodec.safetensors + encodec.json in a model directory; `load_encodec` reads them back.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from engine.models.smalle.errors import CheckpointMismatch

ENCODEC_WEIGHTS, ENCODEC_CONFIG = "encodec.safetensors", "encodec.json"


@dataclass(frozen=True)
class EncodecConfig:
    """SEANet + RVQ hyper-parameters; the defaults are the official 24 kHz model."""

    channels: int = 1
    dimension: int = 128
    n_filters: int = 32
    n_residual_layers: int = 1
    ratios: tuple[int, ...] = (8, 5, 4, 2)  # decoder order; the encoder downsamples in reverse
    kernel_size: int = 7
    last_kernel_size: int = 7
    residual_kernel_size: int = 3
    dilation_base: int = 2
    compress: int = 2
    lstm_layers: int = 2
    n_q: int = 32
    bins: int = 1024
    sample_rate: int = 24000

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratios", tuple(int(r) for r in self.ratios))
        positive = dataclasses.asdict(self)
        positive.pop("ratios")
        bad = [
            k for k, v in positive.items() if not isinstance(v, int) or v < (0 if k == "lstm_layers" else 1)
        ]
        if bad or not self.ratios or min(self.ratios) < 1:
            raise CheckpointMismatch(f"invalid EnCodec config: {', '.join(bad) or 'ratios'}")

    @property
    def hop_length(self) -> int:
        return math.prod(self.ratios)

    @property
    def frame_rate(self) -> int:
        return math.ceil(self.sample_rate / self.hop_length)

    def quantizers_for_bandwidth(self, kbps: float) -> int:
        """Codebooks used at a bandwidth, as the official `get_num_quantizers_for_bandwidth`."""
        per_q = math.log2(self.bins) * self.frame_rate
        return max(1, min(self.n_q, math.floor(kbps * 1000 / per_q)))

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["ratios"] = list(self.ratios)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EncodecConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointMismatch(f"unknown EnCodec config keys: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise CheckpointMismatch(f"invalid EnCodec config: {exc}") from exc


# -- building blocks (names follow encodec/modules/{conv,lstm,seanet}.py) -----------------------------------


def _norm(v: torch.Tensor) -> torch.Tensor:
    # torch.linalg rather than Tensor.norm: the latter is very slow to trace on the meta device.
    return torch.linalg.vector_norm(v, dim=(1, 2), keepdim=True)


class WeightNormConv(nn.Module):
    """A (transposed) 1-D convolution under weight normalisation, stored as `torch.nn.utils.weight_norm`
    stores it: weight = weight_g · weight_v / ‖weight_v‖ with the norm over every dim but the first."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int = 1, dilation: int = 1, transposed: bool = False
    ) -> None:
        super().__init__()
        self.stride, self.dilation, self.kernel, self.transposed = stride, dilation, kernel, transposed
        shape = (c_in, c_out, kernel) if transposed else (c_out, c_in, kernel)
        v = torch.empty(shape)
        nn.init.kaiming_uniform_(v, a=math.sqrt(5))
        self.weight_v = nn.Parameter(v)
        self.weight_g = nn.Parameter(_norm(v))
        self.bias = nn.Parameter(torch.zeros(c_out))

    def weight(self) -> torch.Tensor:
        return self.weight_v * (self.weight_g / _norm(self.weight_v))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transposed:
            return F.conv_transpose1d(x, self.weight(), self.bias, stride=self.stride)
        return F.conv1d(x, self.weight(), self.bias, stride=self.stride, dilation=self.dilation)


class NormConv1d(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = WeightNormConv(c_in, c_out, kernel, stride, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class NormConvTranspose1d(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.convtr = WeightNormConv(c_in, c_out, kernel, stride, transposed=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convtr(x)


def _reflect_pad(x: torch.Tensor, left: int, right: int) -> torch.Tensor:
    # Reflection needs more samples than the pad; the official pad1d zero-extends short inputs first.
    length = x.shape[-1]
    extra = max(left, right) - length + 1 if length <= max(left, right) else 0
    if extra:
        x = F.pad(x, (0, extra))
    padded = F.pad(x, (left, right), mode="reflect")
    return padded[..., : padded.shape[-1] - extra]


class SConv1d(nn.Module):
    """Causal convolution: all fixed padding on the left (reflected), plus what the last window needs."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = NormConv1d(c_in, c_out, kernel, stride, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inner = self.conv.conv
        padding_total = (inner.kernel - 1) * inner.dilation - (inner.stride - 1)
        # As the official get_extra_padding_for_conv1d (with the undilated kernel size, as it does).
        n_frames = (x.shape[-1] - inner.kernel + padding_total) / inner.stride + 1
        ideal = (math.ceil(n_frames) - 1) * inner.stride + (inner.kernel - padding_total)
        return self.conv(_reflect_pad(x, padding_total, ideal - x.shape[-1]))


class SConvTranspose1d(nn.Module):
    """Causal transposed convolution: the fixed padding is trimmed on the right (trim_right_ratio 1)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.convtr = NormConvTranspose1d(c_in, c_out, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inner = self.convtr.convtr
        y = self.convtr(x)
        return y[..., : y.shape[-1] - (inner.kernel - inner.stride)]


class SEANetResnetBlock(nn.Module):
    def __init__(self, dim: int, kernel: int, dilation: int, compress: int) -> None:
        super().__init__()
        hidden = dim // compress
        self.block = nn.Sequential(
            nn.ELU(alpha=1.0),
            SConv1d(dim, hidden, kernel, dilation=dilation),
            nn.ELU(alpha=1.0),
            SConv1d(hidden, dim, 1),
        )
        self.shortcut = SConv1d(dim, dim, 1)  # true_skip=False in the official models

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.block(x)


class SLSTM(nn.Module):
    """LSTM over time with a skip connection; works on [B, C, T]."""

    def __init__(self, dim: int, num_layers: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, num_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = x.permute(2, 0, 1)
        y, _ = self.lstm(seq)
        return (y + seq).permute(1, 2, 0)


class SEANetEncoder(nn.Module):
    def __init__(self, cfg: EncodecConfig) -> None:
        super().__init__()
        mult = 1
        layers: list[nn.Module] = [SConv1d(cfg.channels, cfg.n_filters, cfg.kernel_size)]
        for ratio in reversed(cfg.ratios):
            width = mult * cfg.n_filters
            for j in range(cfg.n_residual_layers):
                layers.append(
                    SEANetResnetBlock(width, cfg.residual_kernel_size, cfg.dilation_base**j, cfg.compress)
                )
            layers += [nn.ELU(alpha=1.0), SConv1d(width, width * 2, ratio * 2, stride=ratio)]
            mult *= 2
        if cfg.lstm_layers:
            layers.append(SLSTM(mult * cfg.n_filters, cfg.lstm_layers))
        layers += [nn.ELU(alpha=1.0), SConv1d(mult * cfg.n_filters, cfg.dimension, cfg.last_kernel_size)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class SEANetDecoder(nn.Module):
    def __init__(self, cfg: EncodecConfig) -> None:
        super().__init__()
        mult = 2 ** len(cfg.ratios)
        layers: list[nn.Module] = [SConv1d(cfg.dimension, mult * cfg.n_filters, cfg.kernel_size)]
        if cfg.lstm_layers:
            layers.append(SLSTM(mult * cfg.n_filters, cfg.lstm_layers))
        for ratio in cfg.ratios:
            width = mult * cfg.n_filters
            layers += [nn.ELU(alpha=1.0), SConvTranspose1d(width, width // 2, ratio * 2, stride=ratio)]
            for j in range(cfg.n_residual_layers):
                layers.append(
                    SEANetResnetBlock(
                        width // 2, cfg.residual_kernel_size, cfg.dilation_base**j, cfg.compress
                    )
                )
            mult //= 2
        layers += [nn.ELU(alpha=1.0), SConv1d(cfg.n_filters, cfg.channels, cfg.last_kernel_size)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class EuclideanCodebook(nn.Module):
    """The k-means/EMA codebook; only `embed` is used at inference, the rest is training state kept so the
    official files load strictly."""

    def __init__(self, dim: int, bins: int) -> None:
        super().__init__()
        embed = torch.randn(bins, dim)
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.ones(bins))
        self.register_buffer("embed", embed)
        self.register_buffer("embed_avg", embed.clone())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """[N, D] → nearest entry ids [N] (same expansion of the squared distance as the official code)."""
        dist = -(x.pow(2).sum(1, keepdim=True) - 2 * x @ self.embed.t() + self.embed.pow(2).sum(1)[None])
        return dist.argmax(dim=-1)

    def decode(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.embed)


class VectorQuantization(nn.Module):
    def __init__(self, dim: int, bins: int) -> None:
        super().__init__()
        self._codebook = EuclideanCodebook(dim, bins)


class ResidualVectorQuantization(nn.Module):
    def __init__(self, dim: int, bins: int, n_q: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(VectorQuantization(dim, bins) for _ in range(n_q))


class ResidualVectorQuantizer(nn.Module):
    def __init__(self, dim: int, bins: int, n_q: int) -> None:
        super().__init__()
        self.vq = ResidualVectorQuantization(dim, bins, n_q)

    def encode(self, emb: torch.Tensor, n_q: int) -> torch.Tensor:
        """[B, D, T] → codes [B, n_q, T]: each stage quantises what the previous ones left over."""
        b, d, t = emb.shape
        residual = emb.transpose(1, 2).reshape(b * t, d)
        codes = []
        for layer in self.vq.layers[:n_q]:
            ids = layer._codebook.encode(residual)
            residual = residual - layer._codebook.decode(ids)
            codes.append(ids.view(b, t))
        return torch.stack(codes, dim=1)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [B, K, T] → embeddings [B, D, T] (the sum of the first K stages)."""
        out = sum(
            layer._codebook.decode(codes[:, i]) for i, layer in enumerate(self.vq.layers[: codes.shape[1]])
        )
        return out.transpose(1, 2)


class Encodec(nn.Module):
    """EnCodec without the official run-time extras (the 24 kHz model uses neither segments nor
    loudness normalisation)."""

    def __init__(self, cfg: EncodecConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or EncodecConfig()
        self.encoder = SEANetEncoder(self.cfg)
        self.decoder = SEANetDecoder(self.cfg)
        self.quantizer = ResidualVectorQuantizer(self.cfg.dimension, self.cfg.bins, self.cfg.n_q)

    @torch.inference_mode()
    def encode(self, audio: torch.Tensor, n_q: int, segment: int | None = None) -> torch.Tensor:
        """audio [B, channels, samples] at cfg.sample_rate → codes [B, n_q, ceil(samples / hop)].

        With `segment` (frames, at least 8), long audio goes through the encoder that many frames at a
        time, carrying the causal convolutions' left context and the LSTM state between segments: the same
        codes as one pass, with memory bounded by the segment instead of the clip."""
        if not 1 <= n_q <= self.cfg.n_q:
            raise ValueError(f"n_q must be within 1..{self.cfg.n_q}, got {n_q}")
        step = None if segment is None else max(8, segment) * self.cfg.hop_length
        if step is None or audio.shape[-1] <= 2 * step:
            return self.quantizer.encode(self.encoder(audio), n_q)
        state: dict[int, Any] = {}
        codes = []
        for start in range(0, audio.shape[-1], step):
            last = start + step >= audio.shape[-1]
            emb = _run_segment(self.encoder.model, audio[..., start : start + step], state, last)
            codes.append(self.quantizer.encode(emb, n_q))
        return torch.cat(codes, dim=-1)

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [B, K, T] → audio [B, channels, T × hop]."""
        return self.decoder(self.quantizer.decode(codes))


def _run_segment(module: nn.Module, x: torch.Tensor, state: dict[int, Any], last: bool) -> torch.Tensor:
    """One segment through the (causal) SEANet encoder, continuing from `state` (keyed by module id)."""
    if isinstance(module, nn.Sequential):
        for layer in module:
            x = _run_segment(layer, x, state, last)
        return x
    if isinstance(module, SEANetResnetBlock):
        return _run_segment(module.shortcut, x, state, last) + _run_segment(module.block, x, state, last)
    if isinstance(module, SLSTM):
        seq = x.permute(2, 0, 1)
        y, state[id(module)] = module.lstm(seq, state.get(id(module)))
        return (y + seq).permute(1, 2, 0)
    if isinstance(module, SConv1d):
        return _conv_segment(module, x, state, last)
    if isinstance(module, nn.ELU):
        return module(x)
    raise TypeError(f"no segment-wise evaluation for {type(module).__name__}")


def _conv_segment(conv: SConv1d, x: torch.Tensor, state: dict[int, Any], last: bool) -> torch.Tensor:
    # The one-pass input is [reflected start | x_0 | x_1 | … | reflected end]: the first segment gets the
    # reflected start, later ones the samples their predecessor left unconsumed, the last the end padding
    # computed from the whole length, so every window sees exactly the samples it sees in one pass.
    inner = conv.conv.conv
    padding_total = (inner.kernel - 1) * inner.dilation - (inner.stride - 1)
    tail, seen = state.get(id(conv), (None, 0))
    seen += x.shape[-1]
    buf = _reflect_pad(x, padding_total, 0) if tail is None else torch.cat([tail, x], dim=-1)
    if last:
        n_frames = (seen - inner.kernel + padding_total) / inner.stride + 1
        extra = (math.ceil(n_frames) - 1) * inner.stride + (inner.kernel - padding_total) - seen
        buf = _reflect_pad(buf, 0, extra)
    out = conv.conv(buf)
    state[id(conv)] = (buf[..., out.shape[-1] * inner.stride :], seen)
    return out


# -- checkpoints ---------------------------------------------------------------------------------------------


def load_state_dict_file(path: Path, what: str) -> dict[str, torch.Tensor]:
    """Tensors of a .safetensors file or a PyTorch pickle (loaded with weights_only=True)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointMismatch(f"{what} file {path} does not exist")
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path))
        except Exception as exc:  # safetensors raises its own error type or OSError for foreign files
            raise CheckpointMismatch(f"{path.name} is not a readable safetensors file ({exc})") from exc
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign/corrupt files; all mean the same here
        raise CheckpointMismatch(
            f"{path.name} is not a PyTorch checkpoint that can be loaded safely ({type(exc).__name__})"
        ) from exc
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointMismatch(f"{path.name} does not hold a state dict of tensors, so it is not {what}")
    return dict(obj)


def check_state_dict(
    weights: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor], name: str, what: str
) -> None:
    """Exactly the expected names with the expected shapes, or a CheckpointMismatch that says what is off."""
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    wrong = [
        f"{k} {list(weights[k].shape)} (expected {list(v.shape)})"
        for k, v in expected.items()
        if k in weights and weights[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing {len(missing)} tensors, e.g. {', '.join(missing[:3])}")
    if extra:
        problems.append(f"{len(extra)} unexpected tensors, e.g. {', '.join(extra[:3])}")
    if wrong:
        problems.append(f"wrong shapes: {'; '.join(wrong[:3])}")
    if problems:
        raise CheckpointMismatch(f"{name} does not fit the {what} architecture: {'; '.join(problems)}")


_HF_WEIGHT_NORM = {
    "parametrizations.weight.original0": "weight_g",
    "parametrizations.weight.original1": "weight_v",
}


def _from_hf_names(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """transformers' EncodecModel names (encoder.layers.N.conv…, quantizer.layers.N.codebook…) → official."""
    # HF calls the decoder's transposed convolutions `conv` too. They are the layers directly followed by
    # a resnet block (the official `convtr.convtr`), which their shapes alone would not reveal.
    resnet_layers = {
        int(m.group(1)) for k in sd if (m := re.match(r"decoder\.layers\.(\d+)\.block\.", k)) is not None
    }
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        for hf, official in _HF_WEIGHT_NORM.items():
            key = key.replace(hf, official)
        if m := re.match(r"quantizer\.layers\.(\d+)\.codebook\.(.+)$", key):
            key = f"quantizer.vq.layers.{m.group(1)}._codebook.{m.group(2)}"
        elif m := re.match(r"(encoder|decoder)\.layers\.(\d+)\.(.+)$", key):
            part, index, rest = m.group(1), int(m.group(2)), m.group(3)
            if part == "decoder" and rest.startswith("conv.") and index + 1 in resnet_layers:
                rest = "convtr.convtr." + rest.removeprefix("conv.")
            else:
                rest = re.sub(r"(^|\.)conv\.", r"\1conv.conv.", rest, count=1)
            key = f"{part}.model.{index}.{rest}"
        out[key] = value
    return out


def _infer_config(sd: Mapping[str, torch.Tensor], name: str) -> EncodecConfig:
    """Read the hyper-parameters off the tensor shapes (official names)."""
    try:
        first = sd["encoder.model.0.conv.conv.weight_v"]
        embed = sd["quantizer.vq.layers.0._codebook.embed"]
    except KeyError as exc:
        if any(k.startswith(("backbone.", "feature_extractor.", "head.")) for k in sd):
            raise CheckpointMismatch(f"{name} is a Vocos checkpoint, not an EnCodec one") from exc
        raise CheckpointMismatch(
            f"{name} is not an EnCodec checkpoint: it has no {exc.args[0]} (e.g. {', '.join(list(sd)[:3])})"
        ) from exc
    blocks: dict[int, str] = {}
    for key in sd:
        if m := re.match(r"encoder\.model\.(\d+)\.(block|shortcut|conv|lstm)\.", key):
            blocks.setdefault(int(m.group(1)), m.group(2))
    order = sorted(blocks)
    last = order[-1]
    downsample = [i for i in order if blocks[i] == "conv" and i not in (0, last)]
    resnets = [i for i in order if blocks[i] in ("block", "shortcut")]
    if not downsample or len(resnets) % len(downsample):
        raise CheckpointMismatch(f"{name} has an encoder layout that EnCodec does not produce")
    ratios = [sd[f"encoder.model.{i}.conv.conv.weight_v"].shape[-1] // 2 for i in downsample]
    lstm = len([k for k in sd if re.match(r"encoder\.model\.\d+\.lstm\.weight_ih_l\d+$", k)])
    n_q = len({k.split(".")[3] for k in sd if k.startswith("quantizer.vq.layers.")})
    return EncodecConfig(
        channels=first.shape[1],
        dimension=embed.shape[1],
        n_filters=first.shape[0],
        n_residual_layers=len(resnets) // len(downsample),
        ratios=tuple(reversed(ratios)),
        kernel_size=first.shape[-1],
        last_kernel_size=sd[f"encoder.model.{last}.conv.conv.weight_v"].shape[-1],
        residual_kernel_size=sd[f"encoder.model.{resnets[0]}.block.1.conv.conv.weight_v"].shape[-1],
        lstm_layers=lstm,
        n_q=n_q,
        bins=embed.shape[0],
    )


def encodec_state_dict(path: Path) -> tuple[EncodecConfig, dict[str, torch.Tensor]]:
    """Read an official EnCodec checkpoint (or HF-named weights), checked against the architecture."""
    sd = load_state_dict_file(path, "EnCodec")
    if any(k.startswith(("encoder.layers.", "quantizer.layers.")) for k in sd):
        sd = _from_hf_names(sd)
    if any(re.match(r"(encoder|decoder)\..*\.norm\.", k) for k in sd):
        # Only the 48 kHz model has time-group norms (it is also stereo and non-causal).
        raise CheckpointMismatch(f"{Path(path).name} is the 48 kHz EnCodec; SMALL-E needs the 24 kHz model")
    cfg = _infer_config(sd, Path(path).name)
    with torch.device("meta"):
        expected = Encodec(cfg).state_dict()
    check_state_dict(sd, expected, Path(path).name, "EnCodec")
    return cfg, {k: v.detach().to(torch.float32).contiguous() for k, v in sd.items()}


def write_atomically(folder: Path, files: Mapping[str, Any]) -> None:
    """Write several files into `folder` so that each appears complete or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        os.close(fd)
        try:
            if isinstance(content, dict):
                save_file(content, tmp)
            else:
                Path(tmp).write_text(content, encoding="utf-8")
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def import_encodec(checkpoint: Path, out_dir: Path) -> Path:
    """Official `encodec_24khz-*.th` (or HF `facebook/encodec_24khz` weights) → out_dir/encodec.*"""
    cfg, weights = encodec_state_dict(Path(checkpoint))
    if cfg.channels != 1 or cfg.hop_length != 320:
        raise CheckpointMismatch(f"{Path(checkpoint).name} is not the 24 kHz EnCodec model")
    write_atomically(
        Path(out_dir),
        {
            ENCODEC_WEIGHTS: weights,
            ENCODEC_CONFIG: json.dumps(cfg.to_dict(), indent=2, sort_keys=True) + "\n",
        },
    )
    return Path(out_dir)


def load_encodec(folder: Path, device: str | torch.device = "cpu") -> Encodec:
    """The model written by `import_encodec`, in eval mode on `device`."""
    folder = Path(folder)
    try:
        data = json.loads((folder / ENCODEC_CONFIG).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointMismatch(f"cannot read the EnCodec config {folder / ENCODEC_CONFIG}: {exc}") from exc
    if not isinstance(data, dict):
        raise CheckpointMismatch(f"the EnCodec config {folder / ENCODEC_CONFIG} is not a JSON object")
    cfg = EncodecConfig.from_dict(data)
    weights = load_state_dict_file(folder / ENCODEC_WEIGHTS, "EnCodec")
    with torch.device("meta"):
        model = Encodec(cfg)
    check_state_dict(weights, model.state_dict(), ENCODEC_WEIGHTS, "EnCodec")
    model.load_state_dict(weights, assign=True)
    return model.to(device).eval()
