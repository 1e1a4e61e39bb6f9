"""What is inside a media file: container, streams, durations, and whether an MP4 can start streaming."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import av

from engine.errors import CorruptMedia, UnsupportedMedia
from engine.media.audio import sniff_audio

FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"styp")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    pix_fmt: str | None
    duration_s: float


@dataclass(frozen=True, slots=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class SubtitleInfo:
    codec: str
    language: str | None
    cues: int


@dataclass(frozen=True, slots=True)
class MediaInfo:
    container: str  # FFmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "ogg"
    size_bytes: int
    duration_s: float
    video: VideoInfo | None
    audio: AudioInfo | None
    subtitles: tuple[SubtitleInfo, ...]
    faststart: bool | None  # MP4 family only: the index (moov) comes before the media (mdat)


def top_level_boxes(data: bytes) -> list[str]:
    """The ISO-BMFF top-level box types in file order; empty when the data is not an MP4."""
    boxes: list[str] = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1 and pos + 16 <= len(data):
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:  # runs to the end of the file
            size = len(data) - pos
        if size < 8 or not all(32 <= c < 127 for c in kind) or (not boxes and kind not in FIRST_BOXES):
            break
        boxes.append(kind.decode("ascii"))
        pos += size
    return boxes


def _stream_duration(stream: av.stream.Stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return 0.0


def probe(data_or_path: bytes | str | Path) -> MediaInfo:
    """Describe a media file from its bytes or path (headers and packets only; nothing is decoded)."""
    data = Path(data_or_path).read_bytes() if isinstance(data_or_path, str | Path) else bytes(data_or_path)
    try:
        container = av.open(io.BytesIO(data))
    except av.error.FFmpegError as exc:
        # a known container that won't open is damaged; anything else is not media we handle
        raise (CorruptMedia() if sniff_audio(data) else UnsupportedMedia()) from exc
    with container:
        video = audio = None
        subtitles = []
        packet_counts: dict[int, int] = {}
        try:
            for packet in container.demux():
                # mov_text marks gaps with empty samples (just the 2-byte length): not a cue
                empty = packet.stream.type == "subtitle" and packet.size <= 2
                if packet.size and not empty:
                    packet_counts[packet.stream.index] = packet_counts.get(packet.stream.index, 0) + 1
        except av.error.FFmpegError as exc:
            raise CorruptMedia() from exc
        for stream in container.streams:
            count = packet_counts.get(stream.index, 0)
            if stream.type == "video" and video is None:
                ctx = stream.codec_context
                rate = stream.average_rate or stream.guessed_rate
                video = VideoInfo(
                    codec=ctx.name,
                    width=ctx.width,
                    height=ctx.height,
                    fps=float(rate) if rate else 0.0,
                    frames=stream.frames or count,
                    pix_fmt=ctx.pix_fmt,
                    duration_s=_stream_duration(stream),
                )
            elif stream.type == "audio" and audio is None:
                ctx = stream.codec_context
                audio = AudioInfo(
                    codec=ctx.name,
                    sample_rate=ctx.sample_rate,
                    channels=ctx.channels,
                    duration_s=_stream_duration(stream),
                )
            elif stream.type == "subtitle":
                subtitles.append(
                    SubtitleInfo(stream.codec_context.name, stream.metadata.get("language"), count)
                )
        boxes = top_level_boxes(data) if "mp4" in container.format.name else []
        faststart = None
        if "moov" in boxes and "mdat" in boxes:
            faststart = boxes.index("moov") < boxes.index("mdat")
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        return MediaInfo(
            container=container.format.name,
            size_bytes=len(data),
            duration_s=duration,
            video=video,
            audio=audio,
            subtitles=tuple(subtitles),
            faststart=faststart,
        )
