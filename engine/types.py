"""Shared value types: small, frozen dataclasses that travel between the stages of the pipeline.

They carry data and validate it; behaviour lives in the modules that produce and consume them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Timing:
    """A labelled span of an utterance, in seconds from its start."""

    start_s: float
    end_s: float
    label: str

    def __post_init__(self) -> None:
        if self.start_s < 0 or self.end_s < self.start_s:
            raise ValueError(f"invalid timing {self.start_s}..{self.end_s} for {self.label!r}")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, eq=False)
class Utterance:
    """Synthesised speech: mono float32 audio in [-1, 1] with word and phoneme timings.

    Phoneme labels are IPA strings (as espeak-ng and Piper produce them); an empty label never occurs,
    silences are simply gaps between timings.
    """

    audio: np.ndarray
    sample_rate: int
    words: tuple[Timing, ...]
    phonemes: tuple[Timing, ...]
    language: str
    text: str

    def __post_init__(self) -> None:
        if self.audio.ndim != 1 or self.audio.dtype != np.float32:
            raise ValueError("Utterance.audio must be a 1-D float32 array")
        if self.sample_rate <= 0:
            raise ValueError("sample_rate must be positive")

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


class Viseme(enum.IntEnum):
    """Mouth classes (the 15 of the MPEG-4 / Oculus convention)."""

    SILENCE = 0  # mouth at rest
    PP = 1  # p b m: lips pressed together
    FF = 2  # f v: lower lip under the upper teeth
    TH = 3  # θ ð: tongue between the teeth
    DD = 4  # t d
    KK = 5  # k g ŋ
    CH = 6  # tʃ dʒ ʃ ʒ
    SS = 7  # s z
    NN = 8  # n l
    RR = 9  # r ɹ
    AA = 10  # ɑ a æ ʌ: open
    E = 11  # e ɛ ə
    I = 12  # i ɪ j: spread  # noqa: E741
    O = 13  # o ɔ: round  # noqa: E741
    U = 14  # u ʊ w: round and small


@dataclass(frozen=True, slots=True)
class MouthShape:
    """Mouth geometry the face engines draw, each axis normalised.

    open:  0 lips together … 1 jaw wide open
    width: -1 rounded/puckered … 0 neutral … 1 spread
    teeth: 0 hidden … 1 upper teeth fully visible
    tongue: 0 hidden … 1 tongue tip visible
    """

    open: float = 0.0
    width: float = 0.0
    teeth: float = 0.0
    tongue: float = 0.0


REST_MOUTH = MouthShape()


@dataclass(frozen=True, slots=True)
class VisemeFrame:
    """One video frame of mouth animation: the dominant viseme and the smoothed geometry to draw."""

    viseme: Viseme
    weight: float
    mouth: MouthShape


@dataclass(frozen=True)
class VisemeTrack:
    fps: float
    frames: tuple[VisemeFrame, ...]

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps


class OutputFormat(enum.StrEnum):
    VIDEO = "video"  # MP4 H.264 + AAC, for chat video
    VIDEO_NOTE = "video_note"  # square MP4, ≤ 640 px and ≤ 60 s (Telegram round video)
    VOICE = "voice"  # OGG/Opus voice message


class CaptionMode(enum.StrEnum):
    SOFT = "soft"  # subtitle track in the MP4 (and SRT/WebVTT sidecars)
    BURN = "burn"  # drawn into the picture
    NONE = "none"


@dataclass(frozen=True)
class VoiceSettings:
    """How a person's messages are spoken.

    engine None picks the default for the language (piper for English, espeak otherwise).
    rate is a tempo factor (1.0 natural), pitch a shift in semitones, volume a gain applied after
    loudness normalisation (1.0 = the normalised comfortable level).
    pronunciations maps a word (matched case-insensitively, whole words) to how it should be said.
    reference names engine-specific state, e.g. a SMALL-E initial-state id.
    """

    engine: str | None = None
    voice: str | None = None
    rate: float = 1.0
    pitch: float = 0.0
    volume: float = 1.0
    language: str = "en"
    pronunciations: Mapping[str, str] = field(default_factory=dict)
    reference: str | None = None

    def __post_init__(self) -> None:
        if not 0.5 <= self.rate <= 2.0:
            raise ValueError("rate must be between 0.5 and 2.0")
        if not -12.0 <= self.pitch <= 12.0:
            raise ValueError("pitch must be between -12 and +12 semitones")
        if not 0.1 <= self.volume <= 2.0:
            raise ValueError("volume must be between 0.1 and 2.0")


@dataclass(frozen=True)
class FaceSettings:
    """Which face speaks and at what size.

    engine: "cartoon", "portrait" or "difftalk". style names a cartoon style. prepared_face holds the
    serialised PreparedFace of a portrait (made once from the user's photo). weights names a per-user
    model directory for neural engines.
    """

    engine: str = "cartoon"
    style: str = "default"
    prepared_face: bytes | None = None
    weights: str | None = None
    size: int = 512
    fps: int = 25

    def __post_init__(self) -> None:
        if self.size < 64 or self.size > 2048 or self.size % 2:
            raise ValueError("size must be an even number of pixels between 64 and 2048")
        if not 1 <= self.fps <= 60:
            raise ValueError("fps must be between 1 and 60")


@dataclass(frozen=True)
class RenderRequest:
    text: str
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    face: FaceSettings = field(default_factory=FaceSettings)
    output: OutputFormat = OutputFormat.VIDEO
    captions: CaptionMode = CaptionMode.SOFT
    size_limit_bytes: int | None = None


@dataclass(frozen=True, eq=False)
class Clip:
    """Finished media: the encoded bytes and what a sender needs to know about them."""

    data: bytes
    mime: str
    duration_s: float
    width: int | None
    height: int | None
    captions_srt: str
    captions_vtt: str = ""

    @property
    def extension(self) -> str:
        return {"video/mp4": "mp4", "audio/ogg": "ogg"}.get(self.mime, "bin")
