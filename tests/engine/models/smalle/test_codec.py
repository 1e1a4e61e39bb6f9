"""The SMALL-E codec as the generator and the speech adapter see it: import_codec → load_codec → the
AudioCodec protocol (encode real recordings, decode, stream), and the errors a user can meet."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio

from engine.models.smalle.codec import (
    CODEC_DIR,
    AudioCodec,
    CodecInputError,
    CodecWeightsMissing,
    EncodecVocosCodec,
    import_codec,
    load_codec,
)
from engine.models.smalle.errors import CheckpointMismatch, SmallEWeightsMissing

from .test_codec_layouts import TINY_ENCODEC, TINY_VOCOS, official_encodec, official_vocos


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("codec")
    official_encodec(root / "encodec_24khz-d7cc33bc.th", **TINY_ENCODEC)
    bin_path, yaml_path, _ = official_vocos(root / "vocos", **TINY_VOCOS)
    import_codec(root / "encodec_24khz-d7cc33bc.th", bin_path, root / "smalle", yaml_path)
    return root / "smalle"


@pytest.fixture(scope="module")
def codec(model_dir: Path) -> EncodecVocosCodec:
    return load_codec(model_dir, "cpu")


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as fh:
        assert fh.getsampwidth() == 2
        pcm = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2")
        return pcm.reshape(-1, fh.getnchannels()).T, fh.getframerate()


def test_the_codec_is_the_protocol_smalle_uses(codec: EncodecVocosCodec) -> None:
    assert isinstance(codec, AudioCodec)
    assert codec.sample_rate == 24000


def test_real_speech_at_22khz_becomes_75_hz_codes(codec: EncodecVocosCodec, shared_data: Path) -> None:
    pcm, rate = _read_wav(shared_data / "audio" / "LJ001-0002.wav")
    assert rate == 22050
    codes = codec.encode(pcm[0], rate)  # int16 PCM as read from the file
    resampled = math.ceil(pcm.shape[1] * 24000 / rate)
    assert codes.shape == (4, math.ceil(resampled / 320))
    assert abs(codes.shape[1] - pcm.shape[1] / rate * 75) <= 1
    assert codes.dtype == torch.int64 and int(codes.min()) >= 0 and int(codes.max()) < 1024
    # PCM integers are scaled like the same audio given as floats.
    assert torch.equal(codes, codec.encode(pcm[0].astype(np.float32) / 32767, rate))


def test_a_long_recording_is_encoded_in_segments_with_one_pass_codes(
    codec: EncodecVocosCodec, shared_data: Path
) -> None:
    names = ("LJ001-0001.wav", "LJ001-0005.wav", "LJ001-0004.wav")  # 22.9 s together
    pcm = np.concatenate([_read_wav(shared_data / "audio" / name)[0][0] for name in names])
    codes = codec.encode(pcm, 22050)
    resampled = torchaudio.functional.resample(torch.from_numpy(pcm.astype(np.float32)) / 32767, 22050, 24000)
    assert resampled.numel() > 2 * 750 * 320  # long enough to be split
    assert torch.equal(codes, codec.encodec.encode(resampled[None, None], 4)[0])


def test_unsigned_8_bit_pcm_is_centred(codec: EncodecVocosCodec) -> None:
    tone = np.sin(np.arange(4800) / 5.0) * 0.5
    as_uint8 = np.round(tone * 128 + 128).clip(0, 255).astype(np.uint8)
    as_int16 = np.round(tone * 32767).astype(np.int16)
    fine, coarse = codec.encode(as_int16, 24000), codec.encode(as_uint8, 24000)
    assert fine.shape == coarse.shape
    # 8-bit quantisation noise may move a few codes, not a constant offset of half the range.
    assert (fine[0] == coarse[0]).float().mean() > 0.9


def test_stereo_16khz_speech_is_mixed_to_mono(codec: EncodecVocosCodec, shared_data: Path) -> None:
    pcm, rate = _read_wav(shared_data / "audio" / "sadtalker_RD_Radio40_000.wav")
    assert pcm.shape[0] == 2 and rate == 16000
    codes = codec.encode(pcm, rate)
    assert codes.shape == (4, math.ceil(pcm.shape[1] * 24000 / rate / 320))
    assert torch.equal(codes, codec.encode(pcm.astype(np.float32).mean(axis=0) / 32767, rate))


def test_decode_gives_24khz_audio_of_320_samples_per_frame(codec: EncodecVocosCodec) -> None:
    codes = codec.encode(np.sin(np.arange(12000) / 7.0).astype(np.float32) * 0.3, 24000)
    audio = codec.decode(codes)
    assert audio.dtype == np.float32 and audio.shape == (codes.shape[1] * 320,)
    assert np.isfinite(audio).all()
    assert codec.decode_encodec(codes).shape == audio.shape


def test_a_16_bit_vocos_decodes_like_the_32_bit_one(codec: EncodecVocosCodec, model_dir: Path) -> None:
    half = load_codec(model_dir, "cpu", torch.bfloat16)
    assert half.vocos.backbone.embed.weight.dtype == torch.bfloat16
    assert half.encodec.quantizer.vq.layers[0]._codebook.embed.dtype == torch.float32
    codes = torch.randint(0, 1024, (4, 40), generator=torch.Generator().manual_seed(3))
    full, approx = codec.decode(codes), half.decode(codes)
    assert approx.dtype == np.float32 and approx.shape == full.shape
    assert np.sqrt(np.mean((approx - full) ** 2)) < 0.03 * np.sqrt(np.mean(full**2))
    stream = half.stream()
    streamed = np.concatenate([stream.push(codes[:, :17]), stream.push(codes[:, 17:]), stream.flush()])
    np.testing.assert_allclose(streamed, approx, atol=1e-3 * float(np.abs(full).max()))


def test_streamed_audio_equals_decoded_audio(codec: EncodecVocosCodec) -> None:
    codes = torch.randint(0, 1024, (4, 90), generator=torch.Generator().manual_seed(7))
    stream = codec.stream()
    assert stream.latency_frames == 2 + 3 * (TINY_VOCOS["layers"] + 1)
    pieces = [stream.push(codes[:, i : i + 9]) for i in range(0, 90, 9)]
    pieces.append(stream.flush())
    assert sum(p.size for p in pieces[:-1]) == (90 - stream.latency_frames) * 320
    np.testing.assert_allclose(np.concatenate(pieces), codec.decode(codes), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize(
    ("audio", "rate", "message"),
    [
        (np.zeros(0, dtype=np.float32), 24000, "non-empty"),
        (np.zeros((1, 2, 30), dtype=np.float32), 24000, "non-empty 1-D"),
        (np.array(["a", "b"]), 24000, "non-empty 1-D"),
        (np.zeros((2400, 2), dtype=np.float32), 24000, r"\[channels, samples\]; got 2400 channels"),
        (np.array([0.0, np.nan], dtype=np.float32), 24000, "NaN"),
        (np.zeros(100, dtype=np.float32), 0, "sample rate 0"),
        (np.zeros(100, dtype=np.float32), 44100.5, "sample rate 44100.5"),
        (np.zeros(1000 * 600 + 1, dtype=np.float32), 1000, "at most 600 s"),
    ],
)
def test_audio_it_cannot_encode_is_refused(
    codec: EncodecVocosCodec, audio: np.ndarray, rate: int, message: str
) -> None:
    with pytest.raises(CodecInputError, match=message):
        codec.encode(audio, rate)


@pytest.mark.parametrize(
    "codes",
    [
        torch.zeros(8, 5, dtype=torch.long),
        torch.zeros(4, 5),
        torch.zeros(4, 5, dtype=torch.complex64),
        torch.zeros(4, 5, dtype=torch.bool),
        torch.full((4, 5), 1024),
        torch.zeros(5),
    ],
    ids=["8 codebooks", "float", "complex", "bool", "out of range", "1-D"],
)
def test_codes_it_cannot_decode_are_refused(codec: EncodecVocosCodec, codes: torch.Tensor) -> None:
    with pytest.raises(CodecInputError):
        codec.decode(codes)


def test_missing_codec_files_say_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(CodecWeightsMissing) as caught:
        load_codec(tmp_path / "smalle")
    message = str(caught.value)
    assert isinstance(caught.value, SmallEWeightsMissing)
    assert caught.value.missing == [f"{CODEC_DIR}/{n}" for n in ("encodec.safetensors", "encodec.json")] + [
        f"{CODEC_DIR}/{n}" for n in ("vocos.safetensors", "vocos.json")
    ]
    for hint in ("encodec_24khz-d7cc33bc.th", "charactr/vocos-encodec-24khz", "avatarlab models import"):
        assert hint in message


def test_a_damaged_weights_file_is_reported(model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "smalle"
    (broken / CODEC_DIR).mkdir(parents=True)
    for item in (model_dir / CODEC_DIR).iterdir():
        (broken / CODEC_DIR / item.name).write_bytes(item.read_bytes())
    (broken / CODEC_DIR / "vocos.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointMismatch, match=r"vocos\.safetensors is not a readable safetensors file"):
        load_codec(broken)


def test_a_vocos_for_another_encodec_is_refused_before_writing(tmp_path: Path) -> None:
    official_encodec(tmp_path / "encodec.th", **TINY_ENCODEC)
    sizes = dict(TINY_VOCOS, input_channels=24)  # features wider than this EnCodec's codebooks
    bin_path, _, _ = official_vocos(tmp_path / "vocos", **sizes)
    with pytest.raises(CheckpointMismatch, match="not trained on this EnCodec"):
        import_codec(tmp_path / "encodec.th", bin_path, tmp_path / "smalle")
    assert not (tmp_path / "smalle").exists()


def test_swapped_files_are_refused_before_writing(tmp_path: Path) -> None:
    official_encodec(tmp_path / "encodec.th", **TINY_ENCODEC)
    bin_path, yaml_path, _ = official_vocos(tmp_path / "vocos", **TINY_VOCOS)
    with pytest.raises(CheckpointMismatch, match="Vocos checkpoint, not an EnCodec"):
        import_codec(bin_path, tmp_path / "encodec.th", tmp_path / "smalle", yaml_path)
    assert not (tmp_path / "smalle").exists()


def test_import_replaces_an_earlier_codec(model_dir: Path, tmp_path: Path) -> None:
    official_encodec(tmp_path / "encodec.th", seed=9, **TINY_ENCODEC)
    bin_path, _, _ = official_vocos(tmp_path / "vocos", seed=9, **TINY_VOCOS)
    target = tmp_path / "smalle"
    import_codec(tmp_path / "encodec.th", bin_path, target)
    first = load_codec(target).decode(torch.zeros(4, 3, dtype=torch.long))
    official_vocos(tmp_path / "vocos", seed=10, **TINY_VOCOS)
    import_codec(tmp_path / "encodec.th", bin_path, target)
    second = load_codec(target).decode(torch.zeros(4, 3, dtype=torch.long))
    assert not np.allclose(first, second)
    assert sorted(p.name for p in (target / CODEC_DIR).iterdir()) == sorted(
        ["encodec.json", "encodec.safetensors", "vocos.json", "vocos.safetensors"]
    )


def test_a_vocos_without_its_config_says_so(tmp_path: Path) -> None:
    official_encodec(tmp_path / "encodec.th", **TINY_ENCODEC)
    bin_path, yaml_path, _ = official_vocos(tmp_path / "vocos", **TINY_VOCOS)
    yaml_path.unlink()
    with pytest.raises(CheckpointMismatch, match=r"cannot read the Vocos config config\.yaml"):
        import_codec(tmp_path / "encodec.th", bin_path, tmp_path / "smalle")
    assert not (tmp_path / "smalle").exists()
