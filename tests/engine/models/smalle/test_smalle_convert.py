import dataclasses
from pathlib import Path

import pytest
import torch

from engine.models.smalle.config import GLA_60, SmallEConfig
from engine.models.smalle.convert import (
    MODEL_FILES,
    convert_checkpoint,
    import_smalle,
    infer_config,
    load_model,
    load_text_tokenizer,
)
from engine.models.smalle.errors import CheckpointMismatch, SmallEWeightsMissing
from engine.models.smalle.model import SmallE

from .smalle_helpers import official_state_dict, write_bpe_tokenizer

SMALL = SmallEConfig(
    d_model=48, d_context=64, enc_layers=2, enc_heads=4, gla_layers=2, gla_heads=2, d_blind=16, pos_heads=2
)


@pytest.fixture(scope="module")
def bpe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bpe_tokenizer(tmp_path_factory.mktemp("tok") / "bpe256.json")


def _save(path: Path, payload: object) -> Path:
    torch.save(payload, path)
    return path


def test_gla_60_shapes_convert_and_load_with_official_head_counts(tmp_path: Path, bpe: Path) -> None:
    sd = official_state_dict(GLA_60)
    assert len(sd) == 336
    ckpt = _save(tmp_path / "gla_60_librilight.pt", {"model": sd})
    out = convert_checkpoint(ckpt, bpe, tmp_path / "smalle", progress=False)
    assert sorted(p.name for p in out.iterdir()) == sorted(MODEL_FILES)
    assert SmallEConfig.load(out / "config.json") == GLA_60
    model = load_model(out)
    assert (model.cfg.gla_heads, model.cfg.enc_heads, model.cfg.pos_heads) == (4, 8, 4)
    assert torch.equal(model.txt_embed.weight, sd["txt_embed.weight"])
    assert torch.equal(
        model.attentive_rnn.decoder[5].tmix.o_proj.weight, sd["attentive_rnn.decoder.5.tmix.o_proj.weight"]
    )
    assert load_text_tokenizer(out).vocab_size == 256


@pytest.mark.parametrize(("gla_heads", "enc_heads", "pos_heads"), [(2, 4, 2), (4, 2, 1), (1, 8, 4)])
def test_head_counts_are_read_from_shapes(
    tmp_path: Path, gla_heads: int, enc_heads: int, pos_heads: int
) -> None:
    cfg = dataclasses.replace(SMALL, gla_heads=gla_heads, enc_heads=enc_heads, pos_heads=pos_heads)
    assert infer_config(official_state_dict(cfg)) == cfg


def test_converted_model_computes_what_the_source_weights_compute(tmp_path: Path, bpe: Path) -> None:
    sd = official_state_dict(SMALL, seed=3)
    ckpt = _save(tmp_path / "small.pt", {"state_dict": {f"model.{k}": v for k, v in sd.items()}})
    model = load_model(convert_checkpoint(ckpt, bpe, tmp_path / "out", progress=False), dtype=torch.float64)
    reference = SmallE(SMALL).double().eval()
    reference.load_state_dict({k: v for k, v in sd.items() if not k.endswith("rotary.freqs")})
    ids = torch.randint(3, 256, (1, 12))
    tokens = torch.randint(3, SMALL.vocab, (1, 4, 9))
    with torch.no_grad():
        a, _, _ = model(model.encode_text(ids), tokens)
        b, _, _ = reference(reference.encode_text(ids), tokens)
    assert torch.equal(a, b)


def test_rejects_a_difftalk_like_checkpoint(tmp_path: Path, bpe: Path) -> None:
    fake = {
        "state_dict": {"model.diffusion_model.down_blocks.0.weight": torch.zeros(3), "unet.x": torch.zeros(1)}
    }
    with pytest.raises(CheckpointMismatch, match="DiffTalk"):
        convert_checkpoint(_save(tmp_path / "difftalk.ckpt", fake), bpe, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_rejects_random_bytes_and_other_pickles(tmp_path: Path, bpe: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(CheckpointMismatch, match="not a PyTorch checkpoint"):
        convert_checkpoint(junk, bpe, tmp_path / "out", progress=False)
    with pytest.raises(CheckpointMismatch, match="not a SMALL-E checkpoint"):
        convert_checkpoint(
            _save(tmp_path / "x.pt", {"w": torch.zeros(2)}), bpe, tmp_path / "out", progress=False
        )
    with pytest.raises(CheckpointMismatch, match="does not exist"):
        convert_checkpoint(tmp_path / "absent.pt", bpe, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_rejects_inconsistent_tensors_and_hyper_parameters(tmp_path: Path, bpe: Path) -> None:
    sd = official_state_dict(SMALL)
    broken = dict(sd)
    broken["attentive_rnn.decoder.1.tmix.v_proj.weight"] = torch.zeros(7, 48)
    with pytest.raises(CheckpointMismatch, match="wrong shapes"):
        convert_checkpoint(_save(tmp_path / "a.pt", {"model": broken}), bpe, tmp_path / "out", progress=False)
    hp = {"attentive_rnn": {"init_args": {"heads": 3}}}
    with pytest.raises(CheckpointMismatch, match="hyper_parameters say 3"):
        convert_checkpoint(
            _save(tmp_path / "b.pt", {"model": sd, "hyper_parameters": hp}),
            bpe,
            tmp_path / "out",
            progress=False,
        )


def test_rejects_a_tokenizer_of_the_wrong_size(tmp_path: Path) -> None:
    small_tok = write_bpe_tokenizer(tmp_path / "bpe128.json", vocab_size=128)
    ckpt = _save(tmp_path / "c.pt", {"model": official_state_dict(SMALL)})
    with pytest.raises(CheckpointMismatch, match="128 entries"):
        convert_checkpoint(ckpt, small_tok, tmp_path / "out", progress=False)


def test_import_replaces_an_existing_model_and_copies_codec_files(tmp_path: Path, bpe: Path) -> None:
    models = tmp_path / "models"
    ckpt = _save(tmp_path / "c.pt", {"model": official_state_dict(SMALL)})
    encodec = tmp_path / "encodec_24khz.th"
    encodec.write_bytes(b"codec weights")
    import_smalle(ckpt, bpe, models, encodec=encodec, progress=False)
    out = import_smalle(ckpt, bpe, models, encodec=encodec, progress=False)
    assert (out / "codec" / "encodec_24khz.th").read_bytes() == b"codec weights"
    assert sorted(p.name for p in models.iterdir()) == ["smalle"]
    with pytest.raises(CheckpointMismatch, match="Vocos"):
        import_smalle(ckpt, bpe, models, vocos=tmp_path / "none.pt", progress=False)


def test_load_model_names_the_missing_files(tmp_path: Path) -> None:
    with pytest.raises(SmallEWeightsMissing) as err:
        load_model(tmp_path / "nothing")
    assert "model.safetensors" in str(err.value) and "avatarlab models import smalle" in str(err.value)


def test_text_heads_fall_back_to_hyper_parameters_without_rotary_tables() -> None:
    sd = {k: v for k, v in official_state_dict(SMALL).items() if not k.endswith("rotary.freqs")}
    assert infer_config(sd).enc_heads == 8  # the documented official value
    hp = {"txt_encoder": {"init_args": {"heads": 4}}}
    assert infer_config(sd, hp) == SMALL
