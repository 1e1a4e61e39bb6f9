"""Encoding with PyAV: MP4 (H.264 + AAC, optional mov_text subtitles), video notes, OGG/Opus voice notes.

Frames stream in as batches from a face engine, so a clip is never held in memory as raw video. The
audio is known up front, which fixes the clip's length: video is padded or trimmed to it.
"""

from __future__ import annotations

import io
import math
import struct
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.errors import InvalidInput, SizeLimitTooSmall
from engine.media.budget import plan_video, plan_voice
from engine.media.burn import CaptionBurner
from engine.media.captions import Cue
from engine.types import CaptionMode

AAC_RATE = 48_000
# Rates AAC codes natively: speech already at one of them is not resampled (resampling cost as much as
# the AAC encoding itself).
AAC_NATIVE_RATES = frozenset({16_000, 22_050, 24_000, 32_000, 44_100, 48_000})
OPUS_RATE = 48_000
VIDEO_NOTE_MAX_PX = 640
VIDEO_NOTE_MAX_S = 60.0
CRF = 23
PRESET = "veryfast"
MAX_ATTEMPTS = 3
MIN_RETRY_VIDEO_BPS = 10_000
SUB_TIME_BASE = Fraction(1, 1000)
BT709 = 1  # AVCOL_SPC / AVCOL_PRI / AVCOL_TRC_BT709
MPEG_RANGE = 1  # AVCOL_RANGE_MPEG (16-235)

# MP4 language tags are ISO 639-2; the speech engines use two-letter codes
_ISO639_2 = {
    "ar": "ara", "cs": "ces", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa", "fa": "fas",
    "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun", "id": "ind", "it": "ita", "ja": "jpn",
    "ko": "kor", "nl": "nld", "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sv": "swe",
    "tr": "tur", "uk": "ukr", "vi": "vie", "zh": "zho",
}  # fmt: skip


def mp4_language(code: str) -> str:
    """ISO 639-2 tag for "en", "en-GB", "eng"…; "und" when unknown."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    if len(base) == 3 and base.isalpha():
        return base
    return _ISO639_2.get(base, "und")


def _clean_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    if sample_rate <= 0:
        raise ValueError("sample_rate must be positive")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError("audio must be mono (a 1-D array)")
    if len(audio) == 0:
        raise InvalidInput("There is no sound to put in the clip, so there is nothing to send.")
    return np.clip(np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)


def _audio_frame(audio: np.ndarray, sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(audio[np.newaxis, :], format="flt", layout="mono")
    frame.sample_rate = sample_rate
    frame.pts = 0
    frame.time_base = Fraction(1, sample_rate)
    return frame


def _batches(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Normalise the stream to (n, h, w, 3) uint8 batches; single (h, w, 3) frames are accepted too."""
    for batch in frames:
        batch = np.asarray(batch)
        if batch.ndim == 3:
            batch = batch[np.newaxis]
        if batch.ndim != 4 or batch.shape[-1] != 3 or batch.dtype != np.uint8:
            raise ValueError(
                f"frames must be uint8 RGB batches (n, h, w, 3), got {batch.dtype} {batch.shape}"
            )
        if len(batch):
            yield batch


def _geometry(h: int, w: int, square_max: int | None) -> tuple[tuple[slice, slice], int, int]:
    """Crop window (centred) and output size: even dimensions, square when asked."""
    if square_max is not None:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        out = min(side, square_max) // 2 * 2
        return (slice(top, top + side), slice(left, left + side)), out, out
    return (slice(0, h // 2 * 2), slice(0, w // 2 * 2)), w // 2 * 2, h // 2 * 2


def _subtitle_packets(cues: Sequence[Cue], duration_s: float) -> list[tuple[float, av.Packet]]:
    """mov_text samples: a 16-bit big-endian length and the UTF-8 text (3GPP TS 26.245)."""
    packets = []
    for cue in sorted(cues, key=lambda c: c.start_s):
        start, end = cue.start_s, min(cue.end_s, duration_s)
        if end <= start:
            continue
        raw = cue.text.encode("utf-8")[:65535]
        packet = av.Packet(struct.pack(">H", len(raw)) + raw)
        packet.pts = packet.dts = round(start * 1000)
        packet.duration = max(round(end * 1000) - packet.pts, 1)
        packet.time_base = SUB_TIME_BASE
        packets.append((start, packet))
    return packets


def _packet_time(packet: av.Packet) -> float:
    return float(packet.pts * packet.time_base) if packet.pts is not None else 0.0


def _encode_mp4_once(
    frames: Iterable[np.ndarray],
    fps: int,
    audio: np.ndarray,
    sample_rate: int,
    *,
    soft_cues: Sequence[Cue],
    burn_cues: Sequence[Cue],
    square_max: int | None,
    round_frame: bool,
    language: str,
    video_bps: int | None,
    audio_bps: int,
    vbv_buffer_s: float,
    path: Path,
) -> tuple[int, int]:
    duration_s = len(audio) / sample_rate
    n_frames = max(1, round(duration_s * fps))
    lang = mp4_language(language)
    stream_iter = _batches(frames)
    first = next(stream_iter, None)
    if first is None:
        raise ValueError("the face engine produced no frames")
    crop, width, height = _geometry(first.shape[1], first.shape[2], square_max)
    if width < 16 or height < 16:
        raise ValueError(f"frames of {first.shape[2]}x{first.shape[1]} are too small to encode")

    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        options = {"preset": PRESET, "crf": str(CRF)}
        if video_bps is not None:
            # capped CRF: constant quality where the picture is easy, never above the budget
            options |= {"maxrate": str(video_bps), "bufsize": str(int(video_bps * vbv_buffer_s))}
        vstream = container.add_stream("libx264", rate=fps, options=options)
        vstream.width, vstream.height, vstream.pix_fmt = width, height, "yuv420p"
        ctx = vstream.codec_context
        ctx.gop_size = fps * 4
        # tag BT.709, limited range: players otherwise guess, and often guess differently
        ctx.colorspace = ctx.color_primaries = ctx.color_trc = BT709
        ctx.color_range = MPEG_RANGE
        vstream.metadata["language"] = lang
        aac_rate = sample_rate if sample_rate in AAC_NATIVE_RATES else AAC_RATE
        astream = container.add_stream("aac", rate=aac_rate, layout="mono")
        astream.bit_rate = audio_bps
        astream.metadata["language"] = lang
        sstream = None
        if soft_cues:
            sstream = container.add_mux_stream("mov_text", rate=1000)
            sstream.time_base = SUB_TIME_BASE
            sstream.metadata["language"] = lang

        # interleave by time ourselves: audio and subtitles are ready now, video arrives in batches
        pending: list[tuple[float, av.Packet]] = []
        for packet in astream.encode(_audio_frame(audio, sample_rate)):
            pending.append((_packet_time(packet), packet))
        for packet in astream.encode(None):
            pending.append((_packet_time(packet), packet))
        if sstream is not None:
            for t, packet in _subtitle_packets(soft_cues, duration_s):
                packet.stream = sstream
                pending.append((t, packet))
        pending.sort(key=lambda item: item[0])
        pending_at = 0

        def mux_until(t: float) -> None:
            nonlocal pending_at
            while pending_at < len(pending) and pending[pending_at][0] <= t:
                container.mux(pending[pending_at][1])
                pending_at += 1

        burner = CaptionBurner(
            crop[1].stop - crop[1].start, crop[0].stop - crop[0].start, burn_cues, round_frame=round_frame
        )
        index = 0
        last: np.ndarray | None = None

        def encode_batch(batch: np.ndarray) -> None:
            nonlocal index, last
            batch = batch[: n_frames - index]
            if len(batch):
                last = batch[-1]
            batch = batch[:, crop[0], crop[1]]
            if burn_cues:
                batch = burner.burn(batch, (index + np.arange(len(batch))) / fps)
            for image in batch:
                rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
                # convert (and scale) here rather than in the encoder so the stream's BT.709 tags are true
                frame = rgb.reformat(
                    width,
                    height,
                    "yuv420p",
                    dst_colorspace="ITU709",
                    dst_color_range="MPEG",
                    interpolation="AREA",
                )
                frame.pts = index
                frame.time_base = Fraction(1, fps)
                index += 1
                for packet in vstream.encode(frame):
                    mux_until(_packet_time(packet))
                    container.mux(packet)

        for batch in _chain(first, stream_iter):
            if batch.shape[1:3] != first.shape[1:3]:
                raise ValueError("all frames of a clip must have the same size")
            encode_batch(batch)
            if index >= n_frames:
                break
        while index < n_frames and last is not None:  # the face engine stopped early: hold the last frame
            encode_batch(np.repeat(last[np.newaxis], min(n_frames - index, 2 * fps), axis=0))
        for packet in vstream.encode(None):
            mux_until(_packet_time(packet))
            container.mux(packet)
        mux_until(math.inf)
    return width, height


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def _decoded_video(data: bytes) -> Iterator[np.ndarray]:
    """Frames of an encoded MP4, for a lower-bitrate second try (the original stream is spent by then)."""
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")[np.newaxis]


def encode_mp4(
    frames: Iterable[np.ndarray],
    fps: int,
    audio: np.ndarray,
    sample_rate: int,
    *,
    captions: Sequence[Cue] | None = None,
    caption_mode: CaptionMode = CaptionMode.SOFT,
    size_limit_bytes: int | None = None,
    square_max: int | None = None,
    max_duration_s: float | None = None,
    round_frame: bool = False,
    language: str = "en",
) -> bytes:
    """An MP4 (H.264 yuv420p + AAC mono 48 kHz, moov first) as long as the audio, ± one frame.

    frames: uint8 RGB batches (n, h, w, 3) in any number; odd sizes lose a pixel row/column, extra
    frames are dropped and missing ones repeat the last. captions are drawn into the picture
    (CaptionMode.BURN) or stored as a mov_text subtitle track tagged with the language (SOFT).
    square_max: centre-crop to a square no larger than this; round_frame keeps burned captions inside
    the circle a round video is shown in. With size_limit_bytes the bitrate is
    budgeted from the duration, checked, and lowered until the file fits; SizeLimitTooSmall when even
    a minimal quality cannot fit.
    """
    if not 1 <= fps <= 60:
        raise ValueError("fps must be between 1 and 60")
    audio = _clean_audio(audio, sample_rate)
    duration_s = len(audio) / sample_rate
    if max_duration_s is not None and duration_s > max_duration_s:
        raise InvalidInput(
            f"This clip would be {duration_s:.0f} seconds long, but this kind of video can be at most "
            f"{max_duration_s:.0f} seconds. Please split the message into shorter ones."
        )
    cues = list(captions or ()) if caption_mode != CaptionMode.NONE else []
    soft = cues if caption_mode == CaptionMode.SOFT else []
    burn = cues if caption_mode == CaptionMode.BURN else []
    source: Iterable[np.ndarray] = frames
    size_guess: tuple[int, int] | None = None
    cut_bps = 0.0  # taken off the planned video bitrate after an overshoot
    with tempfile.TemporaryDirectory(prefix="avatarlab-encode-") as tmp:
        path = Path(tmp) / "clip.mp4"
        for _attempt in range(MAX_ATTEMPTS):
            if size_limit_bytes is not None and size_guess is None:
                # the budget depends on the picture size, known only from the first batch
                batches = _batches(source)
                first = next(batches, None)
                if first is None:
                    raise ValueError("the face engine produced no frames")
                _, w, h = _geometry(first.shape[1], first.shape[2], square_max)
                size_guess = (w, h)
                source = _chain(first, batches)
            w, h = size_guess or (0, 0)
            plan = plan_video(duration_s, w, h, fps, size_limit_bytes, len(soft))
            video_bps = None if plan.video_bps is None else int(plan.video_bps - cut_bps)
            if video_bps is not None and video_bps < MIN_RETRY_VIDEO_BPS:
                break
            _encode_mp4_once(
                source, fps, audio, sample_rate, soft_cues=soft, burn_cues=burn, square_max=square_max,
                round_frame=round_frame, language=language, video_bps=video_bps, audio_bps=plan.audio_bps,
                vbv_buffer_s=plan.vbv_buffer_s, path=path,
            )  # fmt: skip
            data = path.read_bytes()
            if size_limit_bytes is None or len(data) <= size_limit_bytes:
                return data
            # overshoot: the excess comes off the video (audio and container are nearly fixed), with margin;
            # the re-encode reads the result back since the frame stream is spent (captions are burned in)
            cut_bps += (len(data) - size_limit_bytes) * 8 / duration_s * 1.25 + 0.05 * (plan.video_bps or 0)
            burn = []
            source = _decoded_video(data)
        raise SizeLimitTooSmall(size_limit_bytes or 0, len(data))


def encode_video_note(
    frames: Iterable[np.ndarray],
    fps: int,
    audio: np.ndarray,
    sample_rate: int,
    *,
    captions: Sequence[Cue] | None = None,
    caption_mode: CaptionMode = CaptionMode.SOFT,
    size_limit_bytes: int | None = None,
    size: int = VIDEO_NOTE_MAX_PX,
    language: str = "en",
) -> bytes:
    """A round-video MP4 (Telegram video note): square, at most 640 px and 60 s."""
    return encode_mp4(
        frames, fps, audio, sample_rate, captions=captions, caption_mode=caption_mode,
        size_limit_bytes=size_limit_bytes, square_max=min(size, VIDEO_NOTE_MAX_PX),
        max_duration_s=VIDEO_NOTE_MAX_S, round_frame=True, language=language,
    )  # fmt: skip


def _encode_voice_once(audio: np.ndarray, sample_rate: int, bitrate: int, capped: bool) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        options = {"application": "voip"}
        if capped:
            options["vbr"] = "constrained"  # keeps the size predictable when it has to fit a limit
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout="mono", options=options)
        stream.bit_rate = bitrate
        container.mux(stream.encode(_audio_frame(audio, sample_rate)))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def encode_voice(audio: np.ndarray, sample_rate: int, *, size_limit_bytes: int | None = None) -> bytes:
    """An OGG/Opus voice note: 48 kHz mono, about 32 kb/s speech-tuned, within size_limit_bytes."""
    audio = _clean_audio(audio, sample_rate)
    duration_s = len(audio) / sample_rate
    bitrate = plan_voice(duration_s, size_limit_bytes)
    for _attempt in range(MAX_ATTEMPTS):
        data = _encode_voice_once(audio, sample_rate, bitrate, size_limit_bytes is not None)
        if size_limit_bytes is None or len(data) <= size_limit_bytes:
            return data
        bitrate = int(bitrate * 0.9 * size_limit_bytes / len(data))
        if bitrate < 6_000:  # libopus' floor
            break
    raise SizeLimitTooSmall(size_limit_bytes, len(data))
