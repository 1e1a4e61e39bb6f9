from pathlib import Path

import pytest
import torch

from engine.models.smalle.errors import CheckpointMismatch
from engine.models.smalle.generate import Generator, Request
from engine.models.smalle.ist import InitialState, new_initial_state, teacher_forcing_loss, tune_initial_state
from engine.models.smalle.sampling import SamplingConfig

from .smalle_helpers import TINY, tiny_model


def _example(seed: int) -> tuple[list[int], torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, TINY.n_codebook, (4, 1), generator=gen).repeat(1, 24)  # a steady "voice"
    return [1, 5, 6, 7, 8, 2], codes


def test_tuning_lowers_the_loss_and_leaves_the_model_alone(tmp_path: Path) -> None:
    model = tiny_model(seed=11, dtype=torch.float32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    text, codes = _example(0)
    ids = torch.tensor(text)
    with torch.no_grad():
        base = teacher_forcing_loss(model, ids, codes, None).item()
    init = tune_initial_state(model, [(text, codes)], steps=30, rank=2)
    with torch.no_grad():
        tuned = teacher_forcing_loss(model, ids, codes, init.states()).item()
    assert tuned < base - 0.5
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert all(p.requires_grad for p in model.parameters())
    init.save(tmp_path / "anna.safetensors")
    loaded = InitialState.load(tmp_path / "anna.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(loaded.states(), init.states(), strict=True))


def test_generation_starts_from_the_initial_state() -> None:
    model = tiny_model(seed=12, dtype=torch.float32)
    init = new_initial_state(model, rank=2, seed=3)
    init = InitialState(init.a, [b * 2000 for b in init.b])  # strong enough to steer a random model
    gen = Generator(model, SamplingConfig(top_k=5, max_frames=12, min_frames=12))
    plain = Request([1, 5, 6, 2], seed=1)
    tuned = Request([1, 5, 6, 2], seed=1, initial_state=init.states())
    a, b = gen.generate([plain, tuned])
    assert not torch.equal(a.codes, b.codes)
    assert torch.equal(gen.generate([tuned])[0].codes, b.codes)
    with pytest.raises(ValueError, match="layers"):
        gen.generate([Request([1, 2], initial_state=init.states()[:1])])


def test_loading_a_foreign_file_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "x.safetensors").write_bytes(b"nonsense")
    with pytest.raises(CheckpointMismatch):
        InitialState.load(tmp_path / "x.safetensors")
