"""Reading people's audio uploads (voice notes, recordings) into mono float32 at a chosen rate.

The format is sniffed from the bytes, never trusted from a file name: chat platforms rename files.
"""

from __future__ import annotations

import io

import av
import numpy as np

from engine.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia

NOT_AUDIO = "I can't use that file as a voice recording. Please send a voice message or an audio file."
NO_SOUND = "That file has no sound in it. Please send a voice message or an audio file."


def sniff_audio(data: bytes) -> str | None:
    """The audio container the bytes start with, or None when they don't look like audio."""
    head = data[:16]
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "webm"  # Matroska/WebM (also .mka)
    if head[4:8] == b"ftyp":
        return "mp4"  # M4A / AAC in MP4, and videos whose sound we can still use
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b"#!AMR"):
        return "amr"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"  # MPEG audio frame sync without an ID3 tag
    return None


def decode_audio(
    data: bytes, *, max_seconds: float | None = None, target_rate: int = 16_000
) -> tuple[np.ndarray, int]:
    """Decode an upload to (mono float32 in [-1, 1], target_rate); channels are mixed down.

    UnsupportedMedia for things that aren't audio, CorruptMedia for damaged or empty audio, and
    MediaTooLarge when it is longer than max_seconds.
    """
    if target_rate <= 0:
        raise ValueError("target_rate must be positive")
    if sniff_audio(data) is None:
        raise UnsupportedMedia(NOT_AUDIO)
    try:
        container = av.open(io.BytesIO(data))
    except av.error.FFmpegError as exc:
        raise CorruptMedia() from exc
    with container:
        if not container.streams.audio:
            raise UnsupportedMedia(NO_SOUND)
        stream = container.streams.audio[0]
        too_long = MediaTooLarge(
            f"That recording is too long: I can use at most {max_seconds:.0f} seconds. "
            "Please send a shorter one."
            if max_seconds is not None
            else None
        )
        if max_seconds is not None and container.duration and container.duration / av.time_base > max_seconds:
            raise too_long
        limit = None if max_seconds is None else int(max_seconds * target_rate) + 1
        # keep the channels through resampling and average them after: FFmpeg's own stereo-to-mono
        # downmix adds the channels at -3 dB each, which is louder than the source and can clip
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=target_rate)
        chunks: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(stream):
                frame.pts = None  # damaged timestamps must not make the resampler insert silence
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().mean(axis=0))
                    total += out.samples
                if limit is not None and total > limit:
                    raise too_long
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().mean(axis=0))
        except av.error.FFmpegError as exc:
            if not chunks:
                raise CorruptMedia() from exc
            # a truncated upload (a cut-off download) still gives the part that arrived
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if limit is not None and len(audio) > limit:
        raise too_long
    if len(audio) == 0:
        raise CorruptMedia("I couldn't find any sound in that recording. Could you record it again?")
    return np.clip(np.nan_to_num(audio), -1.0, 1.0), target_rate
