"""The official EnCodec / Vocos checkpoint layouts, written out independently of our model code, and the
importers' strict mapping of them (no missing or unexpected tensors).

The layouts follow facebookresearch/encodec (SEANet `model.N` indices, weight-norm `weight_g`/`weight_v`,
`quantizer.vq.layers.N._codebook.*`) and gemelo-ai/vocos (`feature_extractor.codebook_weights`,
`backbone.*`, `head.*`); the tensor counts were checked against the official packages: 252 tensors in
encodec_24khz-d7cc33bc.th, 82 in the Vocos state dict without its embedded EnCodec.
Other codec tests build their checkpoints with these helpers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.models.smalle.encodec import ENCODEC_CONFIG, ENCODEC_WEIGHTS, EncodecConfig, import_encodec
from engine.models.smalle.vocos import VOCOS_CONFIG, VOCOS_WEIGHTS, VocosConfig, import_vocos

OFFICIAL_ENCODEC_TENSORS = 252
OFFICIAL_VOCOS_TENSORS = 82


def encodec_shapes(
    n_filters: int = 32, dimension: int = 128, n_q: int = 32, bins: int = 1024, lstm: int = 2
) -> dict[str, tuple[int, ...]]:
    """Official 24 kHz EnCodec state-dict names → shapes (ratios 8,5,4,2; one resnet block per scale)."""
    shapes: dict[str, tuple[int, ...]] = {}

    def conv(name: str, c_in: int, c_out: int, kernel: int) -> None:
        shapes[f"{name}.conv.conv.weight_g"] = (c_out, 1, 1)
        shapes[f"{name}.conv.conv.weight_v"] = (c_out, c_in, kernel)
        shapes[f"{name}.conv.conv.bias"] = (c_out,)

    def convtr(name: str, c_in: int, c_out: int, kernel: int) -> None:
        shapes[f"{name}.convtr.convtr.weight_g"] = (c_in, 1, 1)
        shapes[f"{name}.convtr.convtr.weight_v"] = (c_in, c_out, kernel)
        shapes[f"{name}.convtr.convtr.bias"] = (c_out,)

    def resnet(name: str, dim: int) -> None:
        conv(f"{name}.block.1", dim, dim // 2, 3)
        conv(f"{name}.block.3", dim // 2, dim, 1)
        conv(f"{name}.shortcut", dim, dim, 1)

    def lstm_layers(name: str, dim: int) -> None:
        for i in range(lstm):
            for kind in ("ih", "hh"):
                shapes[f"{name}.lstm.weight_{kind}_l{i}"] = (4 * dim, dim)
                shapes[f"{name}.lstm.bias_{kind}_l{i}"] = (4 * dim,)

    f = n_filters
    conv("encoder.model.0", 1, f, 7)
    for index, (width, ratio) in zip(
        (1, 4, 7, 10), ((f, 2), (2 * f, 4), (4 * f, 5), (8 * f, 8)), strict=True
    ):
        resnet(f"encoder.model.{index}", width)
        conv(f"encoder.model.{index + 2}", width, 2 * width, 2 * ratio)
    lstm_layers("encoder.model.13", 16 * f)
    conv("encoder.model.15", 16 * f, dimension, 7)
    conv("decoder.model.0", dimension, 16 * f, 7)
    lstm_layers("decoder.model.1", 16 * f)
    for index, (width, ratio) in zip(
        (3, 6, 9, 12), ((16 * f, 8), (8 * f, 5), (4 * f, 4), (2 * f, 2)), strict=True
    ):
        convtr(f"decoder.model.{index}", width, width // 2, 2 * ratio)
        resnet(f"decoder.model.{index + 1}", width // 2)
    conv("decoder.model.15", f, 1, 7)
    for i in range(n_q):
        prefix = f"quantizer.vq.layers.{i}._codebook"
        shapes.update({f"{prefix}.inited": (1,), f"{prefix}.cluster_size": (bins,)})
        shapes.update({f"{prefix}.embed": (bins, dimension), f"{prefix}.embed_avg": (bins, dimension)})
    return shapes


def vocos_shapes(
    input_channels: int = 128,
    dim: int = 384,
    intermediate: int = 1152,
    layers: int = 8,
    n_codebooks: int = 16,
) -> dict[str, tuple[int, ...]]:
    """Official Vocos-for-EnCodec state-dict names → shapes (without the embedded EnCodec)."""
    shapes: dict[str, tuple[int, ...]] = {
        "feature_extractor.codebook_weights": (n_codebooks * 1024, input_channels),
        "backbone.embed.weight": (dim, input_channels, 7),
        "backbone.embed.bias": (dim,),
        "backbone.norm.scale.weight": (4, dim),
        "backbone.norm.shift.weight": (4, dim),
        "backbone.final_layer_norm.weight": (dim,),
        "backbone.final_layer_norm.bias": (dim,),
        "head.out.weight": (1282, dim),
        "head.out.bias": (1282,),
        "head.istft.window": (1280,),
    }
    for i in range(layers):
        p = f"backbone.convnext.{i}"
        shapes.update({f"{p}.dwconv.weight": (dim, 1, 7), f"{p}.dwconv.bias": (dim,), f"{p}.gamma": (dim,)})
        shapes.update({f"{p}.norm.scale.weight": (4, dim), f"{p}.norm.shift.weight": (4, dim)})
        shapes.update({f"{p}.pwconv1.weight": (intermediate, dim), f"{p}.pwconv1.bias": (intermediate,)})
        shapes.update({f"{p}.pwconv2.weight": (dim, intermediate), f"{p}.pwconv2.bias": (dim,)})
    return shapes


def random_tensors(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, torch.Tensor]:
    """Values that keep the random network well scaled: unit norms, small biases, hann window, ones for
    the norm scales and the codebook 'inited' flags."""
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for name, shape in shapes.items():
        fan_in = max(1, int(torch.tensor(shape[1:]).prod())) if len(shape) > 1 else 1
        t = torch.randn(shape, generator=gen) / fan_in**0.5
        if name.endswith(("weight_g", ".inited", "cluster_size", "scale.weight")):
            t = torch.ones(shape) + 0.1 * torch.randn(shape, generator=gen)
        elif name.endswith(("bias", "shift.weight")) or name.endswith("gamma"):
            t = 0.05 * torch.randn(shape, generator=gen)
        elif name.endswith(("embed", "embed_avg", "codebook_weights")):
            t = torch.randn(shape, generator=gen) * 0.3
        elif name == "head.istft.window":
            t = torch.hann_window(shape[0])
        elif name.endswith("final_layer_norm.weight"):
            t = torch.ones(shape)
        out[name] = t
    return out


TINY_ENCODEC = {"n_filters": 4, "dimension": 16, "n_q": 8}
TINY_VOCOS = {"input_channels": 16, "dim": 32, "intermediate": 48, "layers": 2}


def official_encodec(path: Path, seed: int = 0, **sizes: int) -> dict[str, torch.Tensor]:
    """Write a random EnCodec checkpoint as the official code saves it (torch.save of the state dict)."""
    sd = random_tensors(encodec_shapes(**sizes), seed)
    torch.save(sd, path)
    return sd


def vocos_yaml(input_channels: int = 128, dim: int = 384, intermediate: int = 1152, layers: int = 8) -> str:
    return f"""feature_extractor:
  class_path: vocos.feature_extractors.EncodecFeatures
  init_args:
    encodec_model: encodec_24khz
    bandwidths: [1.5, 3.0, 6.0, 12.0]
    train_codebooks: false
backbone:
  class_path: vocos.models.VocosBackbone
  init_args:
    input_channels: {input_channels}
    dim: {dim}
    intermediate_dim: {intermediate}
    num_layers: {layers}
    adanorm_num_embeddings: 4
head:
  class_path: vocos.heads.ISTFTHead
  init_args:
    dim: {dim}
    n_fft: 1280
    hop_length: {320}
    padding: same
"""


def official_vocos(folder: Path, seed: int = 1, **sizes: int) -> tuple[Path, Path, dict[str, torch.Tensor]]:
    """Write pytorch_model.bin + config.yaml as published for charactr/vocos-encodec-24khz."""
    sd = random_tensors(vocos_shapes(**sizes), seed)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(sd, folder / "pytorch_model.bin")
    (folder / "config.yaml").write_text(vocos_yaml(**sizes), encoding="utf-8")
    return folder / "pytorch_model.bin", folder / "config.yaml", sd


def to_hf_names(sd: dict[str, torch.Tensor], parametrized: bool) -> dict[str, torch.Tensor]:
    """The transformers EncodecModel naming of an official state dict (as its conversion script maps it)."""
    out = {}
    for key, value in sd.items():
        key = re.sub(r"^quantizer\.vq\.layers\.(\d+)\._codebook\.", r"quantizer.layers.\1.codebook.", key)
        key = re.sub(r"^(encoder|decoder)\.model\.", r"\1.layers.", key)
        key = key.replace("conv.conv.", "conv.").replace("convtr.convtr.", "conv.")
        if parametrized:
            key = key.replace("weight_g", "parametrizations.weight.original0")
            key = key.replace("weight_v", "parametrizations.weight.original1")
        out[key] = value
    return out


# -- tests ---------------------------------------------------------------------------------------------------


def test_official_layout_sizes_match_the_official_packages() -> None:
    assert len(encodec_shapes()) == OFFICIAL_ENCODEC_TENSORS
    assert len(vocos_shapes()) == OFFICIAL_VOCOS_TENSORS


def test_official_encodec_checkpoint_imports_every_tensor(tmp_path: Path) -> None:
    ckpt = tmp_path / "encodec_24khz-d7cc33bc.th"
    sd = official_encodec(ckpt)
    out = import_encodec(ckpt, tmp_path / "model")
    weights = load_file(str(out / ENCODEC_WEIGHTS))
    assert set(weights) == set(sd)
    assert all(torch.equal(weights[k], sd[k]) for k in sd)
    cfg = EncodecConfig.from_dict(json.loads((out / ENCODEC_CONFIG).read_text()))
    assert cfg == EncodecConfig()
    assert (cfg.hop_length, cfg.frame_rate, cfg.quantizers_for_bandwidth(3.0)) == (320, 75, 4)


@pytest.mark.parametrize("parametrized", [False, True], ids=["weight_g", "parametrizations"])
def test_hugging_face_encodec_names_map_to_the_official_ones(tmp_path: Path, parametrized: bool) -> None:
    sd = random_tensors(encodec_shapes(**TINY_ENCODEC), seed=3)
    hf = tmp_path / "model.safetensors"
    save_file(to_hf_names(sd, parametrized), str(hf))
    weights = load_file(str(import_encodec(hf, tmp_path / "model") / ENCODEC_WEIGHTS))
    assert set(weights) == set(sd)
    assert all(torch.equal(weights[k], sd[k]) for k in sd)


def test_official_vocos_files_import_every_tensor(tmp_path: Path) -> None:
    bin_path, yaml_path, sd = official_vocos(tmp_path / "vocos")
    # The published file may also carry the frozen EnCodec that Vocos embeds: it is not Vocos' own.
    full = dict(sd) | {f"feature_extractor.encodec.{k}": v for k, v in list(sd.items())[:2]}
    torch.save(full, bin_path)
    out = import_vocos(bin_path, yaml_path, tmp_path / "model")
    weights = load_file(str(out / VOCOS_WEIGHTS))
    assert set(weights) == set(sd)
    assert all(torch.equal(weights[k], sd[k]) for k in sd)
    cfg = VocosConfig.from_dict(json.loads((out / VOCOS_CONFIG).read_text()))
    assert cfg == VocosConfig()
    assert (cfg.bandwidth_id(4), cfg.receptive_radius) == (1, 27)
