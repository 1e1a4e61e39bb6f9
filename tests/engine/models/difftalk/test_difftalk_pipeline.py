from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from difftalk_layout import face_landmarks68
from PIL import Image

from engine.models.difftalk.config import DiffTalkConfig
from engine.models.difftalk.features import LogMelFeatures, lower_face_mask
from engine.models.difftalk.model import DiffTalkModel
from engine.models.difftalk.pipeline import DiffTalkPipeline, FaceInputs, SampleOptions

N = 3


@pytest.fixture(scope="module")
def pipe() -> DiffTalkPipeline:
    return DiffTalkPipeline(DiffTalkModel.from_config(DiffTalkConfig.tiny(), seed=0))


@pytest.fixture(scope="module")
def inputs(shared_data: Path) -> FaceInputs:
    rgb, lms = face_landmarks68(shared_data / "images" / "sadtalker_sad.png")
    size = 64
    crop = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS))
    lms = lms * size / rgb.shape[0]
    t = np.arange(16000) / 16000
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    feats = LogMelFeatures()(audio, 16000, N)
    return FaceInputs(np.repeat(crop[None], N, 0), np.repeat(lms[None], N, 0), feats)


def _run(pipe: DiffTalkPipeline, inputs: FaceInputs, **opts: object) -> np.ndarray:
    return np.concatenate(list(pipe(inputs, SampleOptions(steps=2, **opts))))  # type: ignore[arg-type]


def test_frames_have_the_right_size_and_count(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    batches = list(pipe(inputs, SampleOptions(steps=2, batch_size=2)))
    assert [len(b) for b in batches] == [2, 1]
    assert all(b.shape[1:] == (64, 64, 3) and b.dtype == np.uint8 for b in batches)


def test_sampling_is_deterministic_per_seed(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    a = _run(pipe, inputs, seed=7, batch_size=2)
    b = _run(pipe, inputs, seed=7, batch_size=2)
    c = _run(pipe, inputs, seed=8, batch_size=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_noise_does_not_depend_on_the_batch_size(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    one = _run(pipe, inputs, batch_size=1, progressive_reference=False)
    all_at_once = _run(pipe, inputs, batch_size=N, progressive_reference=False)
    assert np.abs(one.astype(int) - all_at_once.astype(int)).max() <= 1


def test_known_region_follows_the_template(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    cfg = pipe.cfg
    lms = inputs.landmarks[:2]
    crops = torch.from_numpy(inputs.crops[:2]).permute(0, 3, 1, 2).float() / 127.5 - 1
    z_known = pipe.encode(crops)
    keep = torch.from_numpy(np.stack([1 - lower_face_mask(lm, cfg.latent_size, 0.25) for lm in lms]))[:, None]
    ctx = pipe.model.conditioner(torch.from_numpy(inputs.audio[:2]), torch.rand(2, 39, 2) * 256)
    noise = torch.stack([pipe.frame_noise(0, i, 10) for i in range(2)])
    z = pipe.sample_latents(z_known, z_known, z_known, keep, ctx, noise, steps=10, pad_to=2)
    outside = (z - z_known).abs()[keep.expand_as(z) > 0].mean()
    inside = (z - z_known).abs()[keep.expand_as(z) == 0].mean()
    assert outside < 0.25 * inside  # only the lower face is generated; the rest is the template's latent


def test_progressive_reference_changes_later_batches_only(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    fixed = _run(pipe, inputs, batch_size=2, progressive_reference=False)
    progressive = _run(pipe, inputs, batch_size=2, progressive_reference=True)
    assert np.array_equal(fixed[:2], progressive[:2])
    assert not np.array_equal(fixed[2:], progressive[2:])


def test_wrong_inputs_are_refused(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    with pytest.raises(ValueError, match="landmarks"):
        FaceInputs(inputs.crops, inputs.landmarks[:, :39], inputs.audio)
    with pytest.raises(ValueError, match="audio"):
        FaceInputs(inputs.crops, inputs.landmarks, inputs.audio[:2])
    big = FaceInputs(np.zeros((1, 128, 128, 3), np.uint8), inputs.landmarks[:1], inputs.audio[:1])
    with pytest.raises(ValueError, match="64×64"):
        list(pipe(big))
    with pytest.raises(ValueError, match="steps"):
        SampleOptions(steps=0)


def test_bf16_path_runs_on_the_cpu(inputs: FaceInputs) -> None:
    fp32 = _run(
        DiffTalkPipeline(DiffTalkModel.from_config(DiffTalkConfig.tiny(), seed=0)), inputs, batch_size=2
    )
    pipe = DiffTalkPipeline(DiffTalkModel.from_config(DiffTalkConfig.tiny(), seed=0), dtype=torch.bfloat16)
    assert next(pipe.model.unet.parameters()).dtype == torch.bfloat16
    assert next(pipe.model.vq.parameters()).dtype == torch.float32  # quantisation stays exact
    bf16 = _run(pipe, inputs, batch_size=2)
    assert bf16.shape == fp32.shape
    assert np.abs(bf16.astype(int) - fp32.astype(int)).mean() < 20  # same picture up to bf16 rounding


def test_static_shape_padding_matches_unpadded(pipe: DiffTalkPipeline, inputs: FaceInputs) -> None:
    cfg = pipe.cfg
    x = torch.randn(2, 9, cfg.latent_size, cfg.latent_size)
    ctx = torch.randn(2, 1, cfg.context_dim)
    t = torch.tensor(501)
    plain = pipe._unet_eps(x, t, ctx, pad_to=2)
    pipe.compiled = True  # the CUDA path pads the last batch to the compiled batch size
    try:
        padded = pipe._unet_eps(x, t, ctx, pad_to=5)
    finally:
        pipe.compiled = False
    assert padded.shape == plain.shape and torch.allclose(padded, plain, atol=1e-5)
