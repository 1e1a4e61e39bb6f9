from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import CorruptMedia, UnsupportedMedia
from engine.media.probe import probe, top_level_boxes


@pytest.mark.parametrize(
    ("name", "codec", "size", "fps", "frames", "rate"),
    [
        ("retalking_face5.mp4", "h264", 524, 25.0, 122, 44_100),
        ("sadtalker_WDA_KatieHill_000.mp4", "mpeg4", 512, 25.0, 200, 16_000),
        ("retalking_face4.mp4", "h264", 700, 30.0, 199, 44_100),
    ],
)
def test_real_clips_match_their_manifest(
    shared_data: Path, name: str, codec: str, size: int, fps: float, frames: int, rate: int
) -> None:
    info = probe(shared_data / "video" / name)
    assert info.video and info.audio
    assert (info.video.codec, info.video.width, info.video.height) == (codec, size, size)
    assert info.video.fps == pytest.approx(fps) and info.video.frames == frames
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", rate, 2)
    assert info.subtitles == ()
    assert info.faststart is False  # these were written with the index at the end


def test_boxes_and_audio_only_files(shared_data: Path) -> None:
    data = (shared_data / "video" / "retalking_face5.mp4").read_bytes()
    assert top_level_boxes(data) == ["ftyp", "free", "mdat", "moov"]
    assert top_level_boxes(b"not an mp4 at all") == []
    info = probe((shared_data / "audio" / "LJ001-0002.wav").read_bytes())
    assert info.video is None and info.faststart is None
    assert info.audio and info.audio.sample_rate == 22_050
    assert info.duration_s == pytest.approx(1.90, abs=0.01)


def test_damaged_and_foreign_data(shared_data: Path) -> None:
    data = (shared_data / "video" / "retalking_face5.mp4").read_bytes()
    with pytest.raises(CorruptMedia):
        probe(data[: len(data) // 2])  # the index at the end is gone
    with pytest.raises(UnsupportedMedia):
        probe(b"\x00" * 64)
    with pytest.raises(UnsupportedMedia):
        probe(b"")
