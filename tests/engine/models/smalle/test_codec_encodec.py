"""EnCodec 24 kHz: code shapes and ranges, the residual quantiser, causality, decoding, and wrong files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from engine.models.smalle.encodec import Encodec, import_encodec, load_encodec
from engine.models.smalle.errors import CheckpointMismatch

from .test_codec_layouts import (
    TINY_ENCODEC,
    TINY_VOCOS,
    encodec_shapes,
    official_encodec,
    official_vocos,
    to_hf_names,
)


@pytest.fixture(scope="module")
def encodec(tmp_path_factory: pytest.TempPathFactory) -> Encodec:
    folder = tmp_path_factory.mktemp("encodec")
    official_encodec(folder / "encodec_24khz-d7cc33bc.th", **TINY_ENCODEC)
    return load_encodec(import_encodec(folder / "encodec_24khz-d7cc33bc.th", folder / "model"))


def _speechlike(samples: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / 24000
    tone = 0.3 * torch.sin(2 * math.pi * 180 * t) * (1 + torch.sin(2 * math.pi * 3 * t))
    return (tone + 0.02 * torch.randn(samples, generator=gen))[None, None]


@pytest.mark.parametrize("samples", [1, 319, 320, 321, 24000, 32880])
def test_codes_have_one_frame_per_320_samples_and_lie_in_the_codebooks(
    encodec: Encodec, samples: int
) -> None:
    codes = encodec.encode(_speechlike(samples), n_q=4)
    assert codes.shape == (1, 4, math.ceil(samples * 75 / 24000))
    assert codes.dtype == torch.int64
    assert int(codes.min()) >= 0 and int(codes.max()) < 1024


def test_each_stage_quantises_what_the_previous_stages_left(encodec: Encodec) -> None:
    emb = encodec.encoder(_speechlike(4800))[0].T  # [T, D]
    codes = encodec.encode(_speechlike(4800), n_q=3)[0]
    residual = emb
    for stage, layer in enumerate(encodec.quantizer.vq.layers[:3]):
        table = layer._codebook.embed
        nearest = torch.cdist(residual, table).argmin(dim=1)
        assert torch.equal(codes[stage], nearest)
        residual = residual - table[nearest]


def test_encoder_is_causal(encodec: Encodec) -> None:
    """The 24 kHz model is causal: more audio never changes the codes of earlier frames (only the last
    frame sees the end padding)."""
    audio = _speechlike(24000)
    short = encodec.encode(audio[..., :12000], n_q=4)
    full = encodec.encode(audio, n_q=4)
    assert torch.equal(short[..., :-1], full[..., : short.shape[-1] - 1])


@pytest.mark.parametrize("samples", [72000, 72001, 72319, 55777])
@pytest.mark.parametrize("segment", [8, 33])
def test_segment_wise_encoding_gives_the_one_pass_codes(encodec: Encodec, samples: int, segment: int) -> None:
    audio = _speechlike(samples, seed=samples)
    assert torch.equal(encodec.encode(audio, n_q=4, segment=segment), encodec.encode(audio, n_q=4))


@pytest.mark.parametrize("frames", [1, 7, 75])
def test_encodec_decoder_gives_320_samples_per_frame(encodec: Encodec, frames: int) -> None:
    codes = torch.randint(0, 1024, (2, 4, frames), generator=torch.Generator().manual_seed(frames))
    audio = encodec.decode(codes)
    assert audio.shape == (2, 1, frames * 320)
    assert torch.isfinite(audio).all() and audio.abs().max() > 0


def test_vocos_checkpoint_is_not_taken_for_encodec(tmp_path: Path) -> None:
    bin_path, _, _ = official_vocos(tmp_path / "vocos", **TINY_VOCOS)
    with pytest.raises(CheckpointMismatch, match="Vocos checkpoint, not an EnCodec"):
        import_encodec(bin_path, tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_foreign_and_damaged_files_are_rejected(tmp_path: Path) -> None:
    text = tmp_path / "notes.th"
    text.write_text("not a checkpoint")
    with pytest.raises(CheckpointMismatch, match="not a PyTorch checkpoint"):
        import_encodec(text, tmp_path / "model")
    other = tmp_path / "other.th"
    torch.save({"txt_embed.weight": torch.zeros(4, 4)}, other)
    with pytest.raises(CheckpointMismatch, match="not an EnCodec checkpoint"):
        import_encodec(other, tmp_path / "model")
    with pytest.raises(CheckpointMismatch, match="does not exist"):
        import_encodec(tmp_path / "missing.th", tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_code_that_a_pickle_would_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.th"
    torch.save({"encoder.model.0.conv.conv.weight_v": Path("/")}, path)
    with pytest.raises(CheckpointMismatch, match="loaded safely"):
        import_encodec(path, tmp_path / "model")


def test_missing_and_misshapen_tensors_are_named(tmp_path: Path) -> None:
    ckpt = tmp_path / "encodec.th"
    sd = official_encodec(ckpt, **TINY_ENCODEC)
    del sd["decoder.model.4.shortcut.conv.conv.bias"]
    torch.save(sd, ckpt)
    with pytest.raises(CheckpointMismatch, match=r"missing 1 tensors, e\.g\. decoder\.model\.4\.shortcut"):
        import_encodec(ckpt, tmp_path / "model")
    sd = official_encodec(ckpt, **TINY_ENCODEC)
    sd["decoder.model.1.lstm.bias_ih_l0"] = torch.zeros(3)
    torch.save(sd, ckpt)
    with pytest.raises(CheckpointMismatch, match=r"wrong shapes: decoder\.model\.1\.lstm\.bias_ih_l0 \[3\]"):
        import_encodec(ckpt, tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_the_48khz_model_is_not_the_24khz_one(tmp_path: Path) -> None:
    # The 48 kHz model is stereo and normalises each convolution with a time-group norm.
    shapes = encodec_shapes(**TINY_ENCODEC)
    shapes["encoder.model.0.conv.conv.weight_v"] = (4, 2, 7)
    for key in [k for k in shapes if k.endswith("conv.conv.bias")]:
        shapes[key.replace("conv.conv.bias", "conv.norm.weight")] = shapes[key]
    sd = {k: torch.randn(s) for k, s in shapes.items()}
    torch.save(sd, tmp_path / "encodec_48khz-7e698e3e.th")
    with pytest.raises(CheckpointMismatch, match="is the 48 kHz EnCodec; SMALL-E needs the 24 kHz model"):
        import_encodec(tmp_path / "encodec_48khz-7e698e3e.th", tmp_path / "model")
    # Hugging Face facebook/encodec_48khz names the norms encoder.layers.N.norm.*
    hf = {k.replace("conv.norm.", "norm."): v for k, v in to_hf_names(sd, parametrized=True).items()}
    save_file(hf, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointMismatch, match="is the 48 kHz EnCodec"):
        import_encodec(tmp_path / "model.safetensors", tmp_path / "model")


def test_a_different_frame_rate_is_refused(tmp_path: Path) -> None:
    shapes = encodec_shapes(**TINY_ENCODEC)
    for name in ("encoder.model.3.conv.conv.weight_v", "decoder.model.12.convtr.convtr.weight_v"):
        shapes[name] = (*shapes[name][:2], 8)  # stride 4 instead of 2: hop 640, 37.5 Hz
    torch.save({k: torch.randn(s) for k, s in shapes.items()}, tmp_path / "encodec.th")
    with pytest.raises(CheckpointMismatch, match="not the 24 kHz EnCodec"):
        import_encodec(tmp_path / "encodec.th", tmp_path / "model")
