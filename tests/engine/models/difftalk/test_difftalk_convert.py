from __future__ import annotations

from pathlib import Path

import pytest
import torch
from difftalk_layout import make_ldm_vq_checkpoint, make_official_checkpoint

from engine.errors import Conflict, InvalidInput
from engine.face.difftalk import import_difftalk
from engine.models.difftalk.config import DiffTalkConfig
from engine.models.difftalk.convert import CheckpointError, model_to_official, official_to_model
from engine.models.difftalk.model import DiffTalkModel, build_unet, build_vq

EMA = "model_ema."


@pytest.fixture
def official_checkpoint() -> dict[str, torch.Tensor]:
    return make_official_checkpoint()


def _flat(key: str) -> str:
    return EMA + key.removeprefix("model.").replace(".", "")


def test_official_checkpoint_converts_one_to_one(official_checkpoint: dict[str, torch.Tensor]) -> None:
    model = official_to_model(official_checkpoint, image_size=64)
    assert model.config == DiffTalkConfig.tiny()
    # The EMA weights are preferred, and each tensor lands on the parameter of the same role.
    unet = model.unet.state_dict()
    assert torch.equal(
        unet["conv_in.weight"], official_checkpoint[_flat("model.diffusion_model.input_blocks.0.0.weight")]
    )
    assert torch.equal(
        unet["up_blocks.0.upsamplers.0.conv.weight"],
        official_checkpoint[_flat("model.diffusion_model.output_blocks.2.2.conv.weight")],
    )
    vq = model.vq.state_dict()
    assert torch.equal(
        vq["decoder.up_blocks.0.resnets.0.conv1.weight"],
        official_checkpoint["first_stage_model.decoder.up.2.block.0.conv1.weight"],
    )
    q = official_checkpoint["first_stage_model.encoder.mid.attn_1.q.weight"]
    assert torch.equal(vq["encoder.mid_block.attentions.0.to_q.weight"], q[:, :, 0, 0])
    cond = model.conditioner.state_dict()
    assert torch.equal(
        cond["audio_smooth.attentionNet.0.weight"],
        official_checkpoint["cond_stage_model_for_audio_smooth.attentionNet.0.weight"],
    )


def test_round_trip_reproduces_the_official_checkpoint(official_checkpoint: dict[str, torch.Tensor]) -> None:
    back = model_to_official(official_to_model(official_checkpoint, image_size=64))
    assert set(official_checkpoint) <= set(back)
    for key, value in official_checkpoint.items():
        if key.startswith("model.diffusion_model.") or key in ("model_ema.num_updates", "model_ema.decay"):
            continue  # we keep one UNet (the EMA one); the raw weights are checked below
        assert torch.allclose(back[key].float(), value.float(), atol=1e-7), key
    raw = model_to_official(official_to_model(official_checkpoint, prefer_ema=False, image_size=64))
    for key, value in official_checkpoint.items():
        if key.startswith("model.diffusion_model."):
            assert torch.equal(raw[key], value), key


def test_every_attention_head_has_32_channels() -> None:
    for cfg in (DiffTalkConfig.official(), DiffTalkConfig.tiny(), DiffTalkConfig.small()):
        with torch.device("meta"):
            unet = build_unet(cfg)
        attns = [m for name, m in unet.named_modules() if name.endswith(("attn1", "attn2"))]
        assert len(attns) == 2 * (2 * 3 + 3 * 3 + 1)  # down, up and middle transformer blocks
        for attn in attns:
            assert attn.to_q.out_features // attn.heads == 32


def test_official_configuration_has_the_published_size() -> None:
    with torch.device("meta"):
        unet, vq = build_unet(DiffTalkConfig.official()), build_vq(DiffTalkConfig.official())
    assert round(sum(p.numel() for p in unet.parameters()) / 1e6, 2) == 530.15
    assert round(sum(p.numel() for p in vq.parameters()) / 1e6, 1) == 55.3


def test_importer_uses_a_separate_ldm_vq_checkpoint(tmp_path: Path) -> None:
    ckpt, vq = tmp_path / "last.ckpt", tmp_path / "model.ckpt"
    torch.save({"state_dict": make_official_checkpoint(with_vq=False), "epoch": 3}, ckpt)
    vq_state = make_ldm_vq_checkpoint()
    torch.save({"state_dict": vq_state}, vq)
    out = tmp_path / "models" / "alice"
    import_difftalk(ckpt, vq, out, image_size=64)
    loaded = DiffTalkModel.load(out)
    assert torch.equal(
        loaded.vq.state_dict()["quantize.embedding.weight"], vq_state["quantize.embedding.weight"]
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "conditioner.safetensors",
        "config.json",
        "unet.safetensors",
        "vq.safetensors",
    ]
    with pytest.raises(Conflict):
        import_difftalk(ckpt, vq, out, image_size=64)


def _broken(kind: str) -> dict[str, torch.Tensor]:
    state = make_official_checkpoint()
    if kind == "missing":
        del state["model.diffusion_model.middle_block.1.proj_in.weight"]
    elif kind == "unexpected":
        state["model.diffusion_model.extra.weight"] = torch.zeros(1)
    elif kind == "shape":
        state["cond_stage_model_for_ldm.encoder_fc1.2.weight"] = torch.zeros(64, 100)
    elif kind == "schedule":
        state["betas"] = torch.linspace(1e-4, 0.02, 1000)
    elif kind == "ema":
        del state[_flat("model.diffusion_model.out.2.weight")]
    return state


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("missing", "1 missing"),
        ("unexpected", "1 unexpected"),
        ("shape", "shape"),
        ("schedule", "noise schedule"),
        ("ema", "EMA"),
    ],
)
def test_mismatched_checkpoints_are_rejected(kind: str, words: str) -> None:
    with pytest.raises(CheckpointError, match=words):
        official_to_model(_broken(kind), image_size=64)


def test_importer_rejects_wrong_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    junk = tmp_path / "photo.ckpt"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n not a checkpoint")
    vq_only = tmp_path / "vq.ckpt"
    torch.save({"state_dict": make_ldm_vq_checkpoint()}, vq_only)
    no_vq = tmp_path / "novq.ckpt"
    torch.save({"state_dict": make_official_checkpoint(with_vq=False)}, no_vq)
    full = tmp_path / "full.ckpt"
    torch.save({"state_dict": make_official_checkpoint()}, full)
    evil = tmp_path / "evil.ckpt"
    torch.save({"state_dict": make_official_checkpoint(), "hyper_parameters": Path("/")}, evil)
    cases = [
        (junk, None, "not a readable"),
        (tmp_path / "absent.ckpt", None, "does not exist"),
        (vq_only, None, "not a DiffTalk checkpoint"),
        (no_vq, None, "vq-f4 checkpoint as well"),
        (full, full, "not an LDM VQ-f4"),
        (evil, None, "Python objects besides tensors"),
    ]
    for ckpt, vq, words in cases:
        with pytest.raises(InvalidInput, match=words) as info:
            import_difftalk(ckpt, vq, out, image_size=64)
        assert info.value.message.startswith("Can't import DiffTalk weights:")
        assert not out.exists() and not (tmp_path / "out.importing").exists()
