from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from difftalk_layout import face_landmarks68

from engine.models.difftalk.conditioning import AudioAttNet, AudioNet, DiffTalkConditioner, LdmNet
from engine.models.difftalk.config import DiffTalkConfig
from engine.models.difftalk.features import (
    NOSE_BOTTOM,
    LogMelFeatures,
    lower_face_mask,
    masked_frame_rows,
    stack_windows,
    upper_face_points,
)
from engine.models.difftalk.model import build_scheduler


@pytest.fixture(scope="module")
def sad_face(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    return face_landmarks68(shared_data / "images" / "sadtalker_sad.png")


def test_conditioning_nets_have_the_official_sizes() -> None:
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert (count(AudioNet()), count(AudioAttNet()), count(LdmNet())) == (32800, 2149, 22528)
    ctx = DiffTalkConditioner()(torch.randn(5, 8, 16, 29), torch.rand(5, 39, 2) * 256)
    assert ctx.shape == (5, 1, 128)


def test_audio_attention_is_a_convex_mix_of_the_windows() -> None:
    windows = torch.randn(3, 8, 64)
    mixed = AudioAttNet()(windows)
    assert mixed.shape == (3, 64)
    assert torch.all(mixed <= windows.max(dim=1).values + 1e-5)
    assert torch.all(mixed >= windows.min(dim=1).values - 1e-5)


def test_scheduler_reproduces_ldm_timesteps_and_betas() -> None:
    sched = build_scheduler(DiffTalkConfig())
    sched.set_timesteps(200)
    assert sched.timesteps.tolist() == list(range(996, 0, -5))
    betas = torch.linspace(0.0015**0.5, 0.0195**0.5, 1000, dtype=torch.float64) ** 2
    assert torch.allclose(sched.betas.double(), betas, atol=1e-9)


@pytest.mark.parametrize("rate", [16000, 22050])
def test_audio_features_have_the_official_layout(rate: int) -> None:
    t = np.arange(int(1.0 * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) * (t > 0.5)).astype(np.float32)  # silence, then a tone at 0.5 s
    feats = LogMelFeatures()(tone, rate, n_frames=25, fps=25)
    assert feats.shape == (25, 8, 16, 29) and feats.dtype == np.float32
    # Window 4 is the frame's own window; its 16 steps are centred on the frame, so the tone that starts at
    # frame 12.5 shows in the second half of frame 12's window and not at all in frame 4's.
    energy = feats[:, 4].max(axis=2)  # (frames, steps): the loudest band
    assert energy[12, 12:].mean() > energy[12, :4].mean() + 1.0
    assert np.ptp(energy[4]) < 0.5
    # The first frames have no past windows: zeros, as in AD-NeRF.
    assert np.all(feats[0, :4] == 0) and np.any(feats[0, 4] != 0)


def test_stack_windows_uses_neighbouring_frames() -> None:
    per_frame = np.arange(6, dtype=np.float32)[:, None, None] + 1
    stacked = stack_windows(per_frame, 8)
    assert stacked[:, :, 0, 0].tolist()[3] == [0, 1, 2, 3, 4, 5, 6, 0]
    assert stacked[:, :, 0, 0].tolist()[5] == [2, 3, 4, 5, 6, 0, 0, 0]


def test_landmark_table_and_conditioning_points(sad_face: tuple[np.ndarray, np.ndarray]) -> None:
    rgb, lms = sad_face
    # Anatomy of the 68-point layout: chin lowest, brows above the eyes, nose between the eyes and the mouth.
    assert lms[8, 1] == lms[:17, 1].max()
    assert lms[17:27, 1].mean() < lms[36:48, 1].mean() < lms[NOSE_BOTTOM, 1] < lms[48:68, 1].mean()
    assert lms[36, 0] < lms[39, 0] < lms[42, 0] < lms[45, 0]  # subject's right eye on the image's left
    pts = upper_face_points(lms[None], crop_size=rgb.shape[0], model_size=256)
    assert pts.shape == (1, 39, 2)
    assert np.allclose(pts[0, :4], lms[:4] * 256 / rgb.shape[0])  # pixels at 256, not normalised


def test_masks_cover_the_lower_face_and_nothing_above_the_nose(
    sad_face: tuple[np.ndarray, np.ndarray],
) -> None:
    rgb, lms = sad_face
    size = rgb.shape[0]
    mask = lower_face_mask(lms, size)
    rows = np.nonzero(mask.any(axis=1))[0]
    assert rows.min() >= lms[30, 1]  # nothing above the nose tip
    for x, y in lms[48:68]:  # the whole mouth is regenerated…
        assert mask[int(np.rint(y)), int(np.rint(x))] == 1
    assert mask[int(lms[8, 1]) - 3, int(lms[8, 0])] == 1  # …down to the chin
    for x, y in lms[17:48]:  # …while brows, eyes and the nose bridge stay
        if y < lms[30, 1]:
            assert mask[int(np.rint(y)), int(np.rint(x))] == 0
    latent = lower_face_mask(lms, 64, landmark_scale=64 / size)
    assert latent.shape == (64, 64) and 0.05 < latent.mean() < 0.35
    cut = masked_frame_rows(lms, size)
    assert lms[30, 1] < cut <= lms[NOSE_BOTTOM, 1] + 1 < lms[51, 1]
