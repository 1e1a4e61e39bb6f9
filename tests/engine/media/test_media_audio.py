from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from engine.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from engine.media.audio import decode_audio, sniff_audio
from engine.media.encode import encode_voice
from tests.engine.media.synthetic import tone


def reference(path: Path) -> tuple[np.ndarray, int]:
    """Independent decode with PyAV: per-channel float samples and the native rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray() for f in container.decode(stream)]
        rate, channels = stream.sample_rate, stream.channels
    data = np.concatenate([f.reshape(-1, channels).T if f.shape[0] == 1 else f for f in frames], axis=1)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768
    return data.astype(np.float32), rate


@pytest.mark.parametrize(
    ("name", "seconds"),
    [("LJ001-0002.wav", 1.90), ("LJ001-0007.mp3", 8.39), ("sadtalker_RD_Radio40_000.wav", 8.0)],
)
def test_real_recordings_decode_to_mono_at_the_target_rate(
    shared_data: Path, name: str, seconds: float
) -> None:
    audio, rate = decode_audio((shared_data / "audio" / name).read_bytes(), target_rate=16_000)
    assert rate == 16_000 and audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) / rate == pytest.approx(seconds, abs=0.06)
    source, _ = reference(shared_data / "audio" / name)
    # loudness survives resampling and mix-down (a -3 dB-per-channel downmix would read 1.41x)
    mono = source.mean(axis=0)
    assert np.sqrt(np.mean(audio**2)) == pytest.approx(np.sqrt(np.mean(mono**2)), rel=0.05)


def test_stereo_file_is_mixed_down(shared_data: Path) -> None:
    path = shared_data / "audio" / "sadtalker_RD_Radio40_000.wav"
    source, rate = reference(path)
    assert source.shape[0] == 2
    audio, _ = decode_audio(path.read_bytes(), target_rate=rate)
    assert np.allclose(audio[:1000], source.mean(axis=0)[:1000], atol=2e-3)


def test_voice_note_upload_round_trips() -> None:
    note = encode_voice(tone(2.0), 24_000)
    audio, rate = decode_audio(note, target_rate=24_000)
    assert rate == 24_000 and len(audio) / rate == pytest.approx(2.0, abs=0.03)
    assert np.sqrt(np.mean(audio**2)) == pytest.approx(np.sqrt(np.mean(tone(2.0) ** 2)), rel=0.1)


@pytest.mark.parametrize(
    ("container_format", "codec", "sniffed"),
    [
        ("ipod", "aac", "mp4"),
        ("webm", "libopus", "webm"),
        ("flac", "flac", "flac"),
        ("mp3", "libmp3lame", "mp3"),
    ],
)
def test_common_upload_formats(container_format: str, codec: str, sniffed: str) -> None:
    rate = 48_000 if codec == "libopus" else 44_100
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.tile(tone(1.5, rate), (2, 1)), format="fltp", layout="stereo")
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = buffer.getvalue()
    assert sniff_audio(data) == sniffed
    audio, got_rate = decode_audio(data, target_rate=16_000)
    assert got_rate == 16_000
    assert len(audio) / 16_000 == pytest.approx(1.5, abs=0.08)  # codec padding is a few ms
    assert 0.15 < np.sqrt(np.mean(audio**2)) < 0.3  # the tone's level, not doubled by the mix-down


def test_too_long_recordings_are_refused(shared_data: Path) -> None:
    data = (shared_data / "audio" / "LJ001-0001.wav").read_bytes()
    with pytest.raises(MediaTooLarge, match="at most 5 seconds"):
        decode_audio(data, max_seconds=5)
    audio, rate = decode_audio(data, max_seconds=10)
    assert len(audio) / rate == pytest.approx(9.66, abs=0.05)


def test_truncated_upload_keeps_what_arrived(shared_data: Path) -> None:
    data = (shared_data / "audio" / "LJ001-0007.mp3").read_bytes()
    audio, rate = decode_audio(data[: len(data) // 2], target_rate=16_000)
    assert 3.0 < len(audio) / rate < 5.0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", UnsupportedMedia),
        (b"hello, this is just text, not a recording" * 10, UnsupportedMedia),
        (np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes()[1:], UnsupportedMedia),
        (b"RIFF\x24\x00\x00\x00WAVEfmt junk that is not a header", CorruptMedia),
        (b"OggS" + bytes(500), CorruptMedia),
        (b"fLaC" + bytes(64), CorruptMedia),
    ],
)
def test_garbage_gets_a_kind_error(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        decode_audio(data)
    assert caught.value.message and "Traceback" not in caught.value.message


def test_photos_are_not_audio(shared_data: Path) -> None:
    with pytest.raises(UnsupportedMedia):
        decode_audio((shared_data / "images" / "sadtalker_happy.png").read_bytes())
