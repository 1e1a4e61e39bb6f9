"""Decode what the bot sent (multipart uploads) with PyAV; make real uploads from the shared test media."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class Probe:
    container: str
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    duration_s: float


def probe(data: bytes) -> Probe:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = container.duration / 1e6 if container.duration else 0.0
        if not duration:
            # OGG often has no container duration: add up the decoded audio.
            duration = sum(f.samples / f.sample_rate for f in container.decode(audio=0)) if audio else 0.0
        return Probe(
            container=container.format.name,
            video_codec=video.codec_context.name if video else None,
            audio_codec=audio.codec_context.name if audio else None,
            width=video.codec_context.width if video else None,
            height=video.codec_context.height if video else None,
            duration_s=duration,
        )


def voice_note_from(path: Path) -> bytes:
    """A real Telegram-style voice note (OGG/Opus) of a recording from the shared test media."""
    from engine.media.audio import decode_audio
    from engine.media.encode import encode_voice

    audio, rate = decode_audio(path.read_bytes(), target_rate=48_000)
    return encode_voice(audio, rate)
