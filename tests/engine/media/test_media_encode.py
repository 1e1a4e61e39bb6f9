from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest

from engine.errors import InvalidInput, SizeLimitTooSmall
from engine.media import budget
from engine.media.captions import Cue
from engine.media.encode import encode_mp4, encode_video_note, encode_voice, mp4_language
from engine.media.probe import probe, top_level_boxes
from engine.types import CaptionMode
from tests.engine.media.synthetic import gradient_batches, tone

FPS = 25
CUES = [Cue(0.2, 1.1, "First cue, with a comma"), Cue(1.5, 2.4, "Second\nüber line")]


@pytest.fixture(scope="module")
def soft_clip() -> bytes:
    # odd size and fewer frames than the audio needs: cropped to even, last frame held
    return encode_mp4(gradient_batches(50, 161, 121), FPS, tone(2.6), 24_000, captions=CUES, language="de")


def test_mp4_codecs_and_pixel_format(soft_clip: bytes) -> None:
    info = probe(soft_clip)
    assert info.video and info.audio
    assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
    assert (info.video.width, info.video.height) == (160, 120)
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 24_000, 1)


def test_video_lasts_as_long_as_the_audio(soft_clip: bytes) -> None:
    info = probe(soft_clip)
    assert info.video and info.audio
    assert abs(info.video.duration_s - 2.6) <= 1 / FPS
    assert abs(info.audio.duration_s - 2.6) <= 1 / FPS
    assert info.video.frames == 65
    with av.open(io.BytesIO(soft_clip)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == 65


def test_moov_comes_before_mdat(soft_clip: bytes) -> None:
    boxes = top_level_boxes(soft_clip)
    assert boxes.index("moov") < boxes.index("mdat")
    assert probe(soft_clip).faststart is True


def test_soft_subtitle_track_holds_the_cues(soft_clip: bytes) -> None:
    info = probe(soft_clip)
    assert [(s.codec, s.language, s.cues) for s in info.subtitles] == [("mov_text", "deu", 2)]
    samples = []
    with av.open(io.BytesIO(soft_clip)) as container:
        stream = container.streams.subtitles[0]
        for packet in container.demux(stream):
            payload = bytes(packet)
            if len(payload) > 2:
                (length,) = struct.unpack(">H", payload[:2])
                start = float(packet.pts * packet.time_base)
                end = start + float(packet.duration * packet.time_base)
                samples.append((round(start, 3), round(end, 3), payload[2 : 2 + length].decode()))
    assert samples == [(c.start_s, c.end_s, c.text) for c in CUES]


def test_burned_captions_change_the_picture() -> None:
    def clip(mode: CaptionMode) -> np.ndarray:
        data = encode_mp4(
            gradient_batches(25, 256, 256), FPS, tone(1.0), 24_000, captions=CUES, caption_mode=mode
        )
        with av.open(io.BytesIO(data)) as container:
            assert not container.streams.subtitles
            return next(f for i, f in enumerate(container.decode(video=0)) if i == 12).to_ndarray(
                format="rgb24"
            )

    plain, burned = clip(CaptionMode.NONE), clip(CaptionMode.BURN)
    diff = np.abs(plain.astype(int) - burned.astype(int)).max(axis=(1, 2))
    assert diff[:150].max() < 40  # the top is only touched by compression noise
    assert diff[200:].max() > 150  # the caption box at the bottom


def test_size_limit_is_met() -> None:
    limit = 300_000
    data = encode_mp4(gradient_batches(250, 512, 512), FPS, tone(10.0), 24_000, size_limit_bytes=limit)
    info = probe(data)
    assert len(data) <= limit
    assert info.video and info.video.width == 512 and abs(info.video.duration_s - 10.0) <= 1 / FPS


def test_overshoot_is_caught_and_re_encoded_smaller(monkeypatch: pytest.MonkeyPatch) -> None:
    # noise is the hardest picture to compress; an over-optimistic plan makes the first try overshoot
    monkeypatch.setattr(budget, "SAFETY", 1.6)
    rng = np.random.default_rng(0)
    frames = (rng.integers(0, 256, (8, 128, 128, 3), dtype=np.uint8) for _ in range(13))
    data = encode_mp4(frames, FPS, tone(4.0), 24_000, size_limit_bytes=60_000)
    info = probe(data)
    assert len(data) <= 60_000
    assert info.video and info.video.frames == 100


def test_impossible_size_limit_says_what_is_needed() -> None:
    with pytest.raises(SizeLimitTooSmall) as caught:
        encode_mp4(gradient_batches(250, 512, 512), FPS, tone(10.0), 24_000, size_limit_bytes=20_000)
    assert caught.value.needed_bytes > 20_000
    assert "MB" in caught.value.message


def test_video_note_is_square_and_small() -> None:
    data = encode_video_note(gradient_batches(13, 800, 700), FPS, tone(0.5), 24_000)
    info = probe(data)
    assert info.video and (info.video.width, info.video.height) == (640, 640)


def test_video_note_longer_than_a_minute_is_refused() -> None:
    with pytest.raises(InvalidInput, match="60 seconds"):
        encode_video_note(gradient_batches(1, 64, 64), FPS, np.zeros(61 * 8000, np.float32), 8000)


def test_silent_empty_audio_is_refused() -> None:
    with pytest.raises(InvalidInput):
        encode_mp4(gradient_batches(1, 64, 64), FPS, np.zeros(0, np.float32), 8000)


def test_voice_note_is_ogg_opus_48k_mono() -> None:
    data = encode_voice(tone(3.0), 24_000)
    info = probe(data)
    assert data[:4] == b"OggS" and info.container == "ogg"
    assert info.audio and (info.audio.codec, info.audio.sample_rate, info.audio.channels) == (
        "opus",
        48_000,
        1,
    )
    assert abs(info.audio.duration_s - 3.0) < 0.05
    assert 6_000 < len(data) < 20_000  # about 32 kb/s


def test_voice_note_fits_its_limit_or_says_so() -> None:
    data = encode_voice(tone(20.0), 24_000, size_limit_bytes=40_000)
    assert len(data) <= 40_000
    with pytest.raises(SizeLimitTooSmall):
        encode_voice(tone(20.0), 24_000, size_limit_bytes=5_000)


def test_language_tags() -> None:
    assert [mp4_language(c) for c in ("en", "en-GB", "pt_BR", "fra", "xx")] == [
        "eng",
        "eng",
        "por",
        "fra",
        "und",
    ]


def test_colours_survive_and_are_tagged_bt709() -> None:
    still = np.zeros((1, 64, 96, 3), np.uint8)
    still[:, :, :32] = (200, 50, 30)  # skin-like red
    still[:, :, 32:64] = (40, 160, 90)
    still[:, :, 64:] = (235, 235, 235)
    data = encode_mp4([still], FPS, tone(0.2), 24_000)
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        assert frame.colorspace == 1 and frame.color_range == 1  # BT.709, limited range
        decoded = frame.to_ndarray(format="rgb24").astype(int)
    for x, colour in ((16, (200, 50, 30)), (48, (40, 160, 90)), (80, (235, 235, 235))):
        assert np.abs(decoded[32, x] - colour).max() <= 6


def test_audio_at_an_unusual_rate_is_resampled_for_aac() -> None:
    info = probe(encode_mp4(gradient_batches(25, 64, 64), FPS, tone(1.0, 11_000), 11_000))
    assert info.audio and info.audio.sample_rate == 48_000
    assert abs(info.audio.duration_s - 1.0) <= 1 / FPS
