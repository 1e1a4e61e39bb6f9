"""Vocos for EnCodec codes: output length, the "same"-padded ISTFT, bandwidth conditioning, exact streaming,
and wrong files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.models.smalle.errors import CheckpointMismatch
from engine.models.smalle.vocos import Vocos, import_vocos, load_vocos

from .test_codec_layouts import TINY_ENCODEC, TINY_VOCOS, official_encodec, official_vocos, vocos_yaml


@pytest.fixture(scope="module")
def vocos(tmp_path_factory: pytest.TempPathFactory) -> Vocos:
    folder = tmp_path_factory.mktemp("vocos")
    bin_path, yaml_path, _ = official_vocos(folder / "official", **TINY_VOCOS)
    return load_vocos(import_vocos(bin_path, yaml_path, folder / "model"))


def _codes(frames: int, seed: int = 0, k: int = 4) -> torch.Tensor:
    return torch.randint(0, 1024, (k, frames), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("frames", [1, 2, 3, 75, 113])
def test_decode_gives_320_samples_per_frame(vocos: Vocos, frames: int) -> None:
    audio = vocos.decode(_codes(frames, seed=frames))
    assert audio.shape == (1, frames * 320)
    assert audio.dtype == torch.float32 and torch.isfinite(audio).all()


def test_no_codes_give_no_audio(vocos: Vocos) -> None:
    assert vocos.decode(torch.zeros(4, 0, dtype=torch.long)).shape == (1, 0)


def test_a_batch_decodes_like_its_items(vocos: Vocos) -> None:
    batch = torch.stack([_codes(20, seed=1), _codes(20, seed=2)])
    audio = vocos.decode(batch)
    torch.testing.assert_close(audio[1], vocos.decode(batch[1])[0])


def test_same_padding_is_the_centred_istft_shifted_by_the_trim_difference(vocos: Vocos) -> None:
    """'same' trims (n_fft - hop) / 2 = 480 samples, torch.istft(center=True) trims n_fft / 2 = 640, so in
    the interior (where every sample is covered by four windows) they agree 160 samples apart."""
    frames = 30
    spec = vocos.head.spectrum(vocos.hidden(vocos.check_codes(_codes(frames, seed=4))))
    ours = vocos.head.istft(spec)[0]
    centred = torch.istft(spec, 1280, 320, 1280, window=torch.hann_window(1280), center=True)[0]
    torch.testing.assert_close(
        ours[1280:-1280], centred[1280 - 160 : -1280 - 160 + 320], atol=1e-5, rtol=1e-4
    )


def test_a_stationary_partial_becomes_a_steady_sine(vocos: Vocos) -> None:
    """A head that puts magnitude 48 in FFT bin 24 (450 Hz; a whole number of periods per hop, so the phase
    stays 0) must give cos(2π·450·n/24000) at amplitude 48/480 (hann at hop n_fft/4: Σw/Σw² = 4/3)."""
    probe = Vocos(vocos.cfg).eval()
    probe.load_state_dict(vocos.state_dict())
    with torch.no_grad():
        probe.head.out.weight.zero_()
        probe.head.out.bias.fill_(-30.0)  # magnitudes e^-30 everywhere but bin 24
        probe.head.out.bias[24] = math.log(48.0)
        probe.head.out.bias[641:] = 0.0  # phases
    audio = probe.decode(_codes(40))[0].numpy()
    n = np.arange(audio.size)
    expected = 0.1 * np.cos(2 * np.pi * 450 * n / 24000)
    # The first and last 1280 samples see fewer than four windows, which scales them (as officially).
    np.testing.assert_allclose(audio[1280:-1280], expected[1280:-1280], atol=1e-5)


def test_three_kbps_codes_use_the_bandwidth_1_norms(vocos: Vocos) -> None:
    codes = _codes(12, seed=5)
    probe = Vocos(vocos.cfg).eval()
    probe.load_state_dict(vocos.state_dict())
    with torch.no_grad():
        probe.backbone.norm.shift.weight[0] += 1.0  # 1.5 kb/s: must not matter for 4 codebooks
    torch.testing.assert_close(probe.decode(codes), vocos.decode(codes))
    with torch.no_grad():
        probe.backbone.norm.shift.weight[1] += 1.0  # 3 kb/s
    assert (probe.decode(codes) - vocos.decode(codes)).abs().max() > 1e-3
    # Two codebooks are 1.5 kb/s, eight are 6 kb/s.
    assert vocos.decode(_codes(5, k=2)).shape == vocos.decode(_codes(5, k=8)).shape == (1, 1600)


@pytest.mark.parametrize(
    ("frames", "chunks"),
    [(200, [1, 3, 7, 40, 2, 60, 87]), (100, [25] * 4), (10, [4, 6]), (31, [31]), (1, [1])],
)
def test_streaming_equals_one_shot_decoding(vocos: Vocos, frames: int, chunks: list[int]) -> None:
    codes = _codes(frames, seed=frames)
    stream = vocos.stream()
    pieces, start = [], 0
    for size in chunks:
        piece = stream.push(codes[:, start : start + size])
        start += size
        # Everything but the look-ahead is final as soon as it arrives.
        assert stream.pending_frames == min(start, stream.lookahead)
        assert piece.shape[-1] % 320 == 0
        pieces.append(piece)
    pieces.append(stream.flush())
    streamed = torch.cat(pieces)
    one_shot = vocos.decode(codes)[0]
    assert streamed.shape == one_shot.shape
    torch.testing.assert_close(streamed, one_shot, atol=2e-5, rtol=1e-4)


def test_a_flushed_stream_takes_no_more_codes(vocos: Vocos) -> None:
    stream = vocos.stream()
    stream.push(_codes(3))
    assert stream.flush().shape == (3 * 320,)
    with pytest.raises(ValueError, match="start a new one"):
        stream.push(_codes(3))


def test_a_stream_keeps_a_bounded_window_of_codes(vocos: Vocos) -> None:
    stream = vocos.stream()
    for seed in range(30):
        stream.push(_codes(10, seed=seed))
    assert stream.buffered_frames <= 10 + 2 * stream.lookahead


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (torch.full((4, 3), 1024), "0..1023"),
        (torch.full((4, 3), -1), "0..1023"),
        (torch.zeros(4, 3), "integer"),
        (torch.zeros(3, 5, dtype=torch.long), "Vocos decodes 2, 4, 8, 16 codebooks, not 3"),
        (torch.zeros(2, 2, 4, 3, dtype=torch.long), "integer tensor"),
    ],
)
def test_codes_it_cannot_decode_are_refused(vocos: Vocos, codes: torch.Tensor, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        vocos.decode(codes)


def test_an_encodec_checkpoint_is_not_taken_for_vocos(tmp_path: Path) -> None:
    official_encodec(tmp_path / "encodec_24khz.th", **TINY_ENCODEC)
    (tmp_path / "config.yaml").write_text(vocos_yaml(16, 32, 48, 2))
    with pytest.raises(CheckpointMismatch, match="EnCodec checkpoint, not the Vocos one"):
        import_vocos(tmp_path / "encodec_24khz.th", tmp_path / "config.yaml", tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_the_mel_vocos_is_refused(tmp_path: Path) -> None:
    bin_path, yaml_path, _ = official_vocos(tmp_path, **TINY_VOCOS)
    mel = yaml_path.read_text().replace(
        "vocos.feature_extractors.EncodecFeatures", "vocos.feature_extractors.MelSpectrogramFeatures"
    )
    yaml_path.write_text(mel)
    with pytest.raises(CheckpointMismatch, match="charactr/vocos-encodec-24khz"):
        import_vocos(bin_path, yaml_path, tmp_path / "model")


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path: Path) -> None:
    bin_path, yaml_path, _ = official_vocos(tmp_path, **TINY_VOCOS)
    yaml_path.write_text(vocos_yaml(16, 32, 48, 3))  # one ConvNeXt block more than the weights have
    with pytest.raises(CheckpointMismatch, match=r"missing 9 tensors, e\.g\. backbone\.convnext\.2\."):
        import_vocos(bin_path, yaml_path, tmp_path / "model")
    yaml_path.write_text(": not yaml :\n  - [")
    with pytest.raises(CheckpointMismatch, match="cannot read the Vocos config"):
        import_vocos(bin_path, yaml_path, tmp_path / "model")
    yaml_path.write_text("model: 1\n")
    with pytest.raises(CheckpointMismatch, match=r"is not a Vocos config\.yaml"):
        import_vocos(bin_path, yaml_path, tmp_path / "model")
    assert not (tmp_path / "model").exists()
