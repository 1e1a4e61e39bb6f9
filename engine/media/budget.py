"""Bitrate planning: how many bits per second a clip may spend so the file fits a size limit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import SizeLimitTooSmall

SAFETY = 0.95  # rate control is not exact; aim a little under the limit
MIN_VIDEO_BPS = 30_000
MAX_VIDEO_BPS = 20_000_000  # a cap above what CRF 23 ever spends here (and inside x264's int range)
MIN_VIDEO_BITS_PER_PIXEL = 0.008  # below this a talking face turns to blocks
AUDIO_STEPS_BPS = (64_000, 48_000, 32_000)  # AAC mono: 64k is clean speech, 32k still intelligible
MIN_VOICE_BPS = 8_000  # Opus VOIP stays intelligible down to about here
VOICE_BPS = 32_000


@dataclass(frozen=True, slots=True)
class VideoPlan:
    video_bps: int | None  # None: constant quality, no cap
    audio_bps: int
    vbv_buffer_s: float


def mp4_overhead_bytes(duration_s: float, fps: float, n_cues: int = 0) -> int:
    """Container bytes besides the media: sample tables grow with the sample count."""
    video_samples = duration_s * fps
    audio_samples = duration_s * 48_000 / 1024
    return math.ceil(2_000 + 20 * video_samples + 10 * audio_samples + 40 * n_cues)


def plan_video(
    duration_s: float, width: int, height: int, fps: float, limit_bytes: int | None, n_cues: int = 0
) -> VideoPlan:
    """Split a byte budget between video and audio, or raise SizeLimitTooSmall with the size needed."""
    if limit_bytes is None:
        return VideoPlan(video_bps=None, audio_bps=AUDIO_STEPS_BPS[0], vbv_buffer_s=0.0)
    overhead = mp4_overhead_bytes(duration_s, fps, n_cues)
    # VBV lets x264 spend one buffer ahead of the average; reserve it so the total still fits
    buffer_s = min(max(duration_s / 4, 0.5), 2.0)
    total_bps = (limit_bytes - overhead) * 8 * SAFETY / (duration_s + buffer_s)
    min_video = max(MIN_VIDEO_BPS, MIN_VIDEO_BITS_PER_PIXEL * width * height * fps)
    for audio_bps in AUDIO_STEPS_BPS:
        # keep the picture at least twice the sound's share before trading sound quality away
        if total_bps - audio_bps >= max(min_video, 2 * audio_bps) or audio_bps == AUDIO_STEPS_BPS[-1]:
            break
    video_bps = total_bps - audio_bps
    if video_bps < min_video:
        needed = overhead + (min_video + AUDIO_STEPS_BPS[-1]) * (duration_s + buffer_s) / 8 / SAFETY
        raise SizeLimitTooSmall(limit_bytes, math.ceil(needed))
    return VideoPlan(video_bps=int(min(video_bps, MAX_VIDEO_BPS)), audio_bps=audio_bps, vbv_buffer_s=buffer_s)


def plan_voice(duration_s: float, limit_bytes: int | None) -> int:
    """Opus bitrate for a voice note of this length within the limit."""
    if limit_bytes is None:
        return VOICE_BPS
    overhead = 1_500 + duration_s * 80  # Ogg page headers and per-packet lacing
    bps = (limit_bytes - overhead) * 8 * SAFETY / duration_s
    if bps < MIN_VOICE_BPS:
        raise SizeLimitTooSmall(limit_bytes, math.ceil(overhead + MIN_VOICE_BPS * duration_s / 8 / SAFETY))
    return int(min(bps, VOICE_BPS))
