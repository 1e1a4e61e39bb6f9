import json
from pathlib import Path

import pytest
import torch

from engine.models.smalle.config import GLA_60, GLA_130, PRESETS, SmallEConfig
from engine.models.smalle.delay import HEAD, TAIL, delay, undelay
from engine.models.smalle.errors import CheckpointMismatch, UnsupportedText
from engine.models.smalle.model import SmallE
from engine.models.smalle.tokenizer import BOS, EOS, BpeTokenizer, CharTokenizer

from .smalle_helpers import TINY, tiny_model, write_bpe_tokenizer


def _tokens(batch: int, length: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randint(3, TINY.vocab, (batch, TINY.n_quant, length), generator=gen)
    tokens[:, :, 0] = HEAD
    return tokens


def test_full_forward_logits_equal_step_by_step() -> None:
    model = tiny_model()
    ids = torch.randint(3, TINY.n_txt_vocab, (2, 9))
    mem = model.encode_text(ids)
    tokens = _tokens(2, 23)
    with torch.no_grad():
        logits, beta, after = model(mem, tokens, chunk=4)
        state = model.new_state(2, torch.device("cpu"), torch.float64)
        steps = [model.step_(mem, tokens[:, :, t], state) for t in range(23)]
    assert (torch.stack([s[0] for s in steps], 2) - logits).abs().max() <= 1e-10
    assert (torch.stack([s[1] for s in steps], 1) - beta).abs().max() <= 1e-10
    assert int(state.time) == int(after.time) == 23
    for a, b in zip(state.layers, after.layers, strict=True):
        assert (a - b).abs().max() <= 1e-10


def test_prefill_then_steps_equals_full_forward() -> None:
    model = tiny_model(seed=1)
    mem = model.encode_text(torch.randint(3, TINY.n_txt_vocab, (1, 7)))
    tokens = _tokens(1, 20, seed=1)
    with torch.no_grad():
        full, _, _ = model(mem, tokens)
        head, _, state = model(mem, tokens[:, :, :12])
        tail = [model.step_(mem, tokens[:, :, t], state)[0] for t in range(12, 20)]
    assert (torch.cat((head, torch.stack(tail, 2)), 2) - full).abs().max() <= 1e-10


def test_padding_does_not_change_results() -> None:
    model = tiny_model(seed=2)
    ids = torch.randint(3, TINY.n_txt_vocab, (1, 6))
    padded = torch.cat((ids, torch.zeros(1, 5, dtype=torch.long)), 1)
    mask = padded != 0
    tokens = _tokens(1, 10)
    with torch.no_grad():
        a, _, _ = model(model.encode_text(ids), tokens)
        b, beta, _ = model(model.encode_text(padded, mask), tokens)
    assert (a - b).abs().max() <= 1e-10
    assert beta[..., 6:].abs().max() == 0


@pytest.mark.parametrize(("cfg", "official"), [(GLA_60, 59_874_952), (GLA_130, 131_031_596)])
def test_parameter_counts_match_the_official_models(cfg: SmallEConfig, official: int) -> None:
    with torch.device("meta"):
        model = SmallE(cfg)
    rotary = cfg.enc_layers * (cfg.d_context // cfg.enc_heads // 4) + cfg.d_model // 4  # stored freqs
    assert sum(p.numel() for p in model.parameters()) + rotary == official


def test_delay_round_trip_and_layout() -> None:
    codes = torch.arange(20).view(4, 5) + 3
    delayed = delay(codes)
    assert delayed.shape == (4, 10)
    assert (delayed[:, 0] == HEAD).all() and (delayed[:, -1] == TAIL).all()
    assert delayed[2].tolist() == [HEAD, HEAD, HEAD, 13, 14, 15, 16, 17, TAIL, TAIL]
    assert torch.equal(undelay(delayed), codes)
    assert undelay(delay(codes[:, :0])).shape == (4, 0)
    with pytest.raises(ValueError):
        undelay(delayed, 7)


def test_config_json_round_trip(tmp_path: Path) -> None:
    for cfg in PRESETS.values():
        cfg.save(tmp_path / "c.json")
        assert SmallEConfig.load(tmp_path / "c.json") == cfg
    (tmp_path / "bad.json").write_text(json.dumps({"d_model": 512, "colour": "red"}))
    with pytest.raises(CheckpointMismatch, match="colour"):
        SmallEConfig.load(tmp_path / "bad.json")
    (tmp_path / "types.json").write_text(json.dumps({"d_model": "wide"}))
    with pytest.raises(CheckpointMismatch, match="invalid SMALL-E config"):
        SmallEConfig.load(tmp_path / "types.json")
    with pytest.raises(CheckpointMismatch, match="enc_heads"):
        SmallEConfig(d_context=512, enc_heads=7)


def test_bpe_tokenizer_adds_specials_and_refuses_digits(tmp_path: Path) -> None:
    tok = BpeTokenizer.from_file(write_bpe_tokenizer(tmp_path / "bpe.json"))
    enc = tok.encode("Hello, world")
    assert enc.ids[0] == BOS and enc.ids[-1] == EOS and len(enc.ids) == len(enc.spans)
    assert all(0 <= i < 256 for i in enc.ids)
    with pytest.raises(UnsupportedText) as err:
        tok.encode("I have 3 cats")
    assert err.value.characters == "3"


def test_char_tokenizer() -> None:
    tok = CharTokenizer()
    enc = tok.encode("Hi, you")
    assert enc.ids[0] == BOS and enc.ids[-1] == EOS and len(enc.ids) == 9
    assert enc.spans[1] == (0, 1)
    with pytest.raises(UnsupportedText):
        tok.encode("naïve 42")
