"""The value shapes of the engine service's JSON API (docs/api.md), shared by the server and EngineClient.

Each is a frozen dataclass with `to_json()` (what the server sends) and `from_json()` (what the client
reads). `from_json` ignores fields it does not know, so a newer server can add fields without breaking
older bots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PLATFORMS = ("telegram", "discord")
JOB_KINDS = ("render", "enrol_voice", "prepare_face", "phrase")
JOB_STATES = ("queued", "running", "done", "failed")
CONSENT_PURPOSES = ("voice_cloning", "face_animation", "act_for_me")
OUTPUTS = ("video", "video_note", "voice")
CAPTIONS = ("soft", "burn", "none")
TERMINAL_EVENTS = ("done", "failed")


@dataclass(frozen=True, slots=True)
class Identity:
    """A person as a chat platform knows them."""

    platform: str
    user_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_id", str(self.user_id))

    @property
    def path(self) -> str:
        return f"{self.platform}/{self.user_id}"

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "user_id": self.user_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Identity:
        return cls(platform=data["platform"], user_id=str(data["user_id"]))


@dataclass(frozen=True, slots=True)
class MediaRef:
    id: str
    url: str
    mime: str
    size_bytes: int
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    captions_srt: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "mime": self.mime,
            "size_bytes": self.size_bytes,
            "duration_s": self.duration_s,
            "width": self.width,
            "height": self.height,
            "captions_srt": self.captions_srt,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaRef:
        return cls(
            id=data["id"],
            url=data["url"],
            mime=data["mime"],
            size_bytes=int(data["size_bytes"]),
            duration_s=data.get("duration_s"),
            width=data.get("width"),
            height=data.get("height"),
            captions_srt=data.get("captions_srt") or "",
        )


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ErrorInfo:
        return cls(code=data["code"], message=data["message"])


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    state: str
    created_at: str
    position: int | None = None
    voice: MediaRef | None = None
    video: MediaRef | None = None
    error: ErrorInfo | None = None
    notices: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "position": self.position,
            "created_at": self.created_at,
            "voice": self.voice.to_json() if self.voice else None,
            "video": self.video.to_json() if self.video else None,
            "error": self.error.to_json() if self.error else None,
            "notices": list(self.notices),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls(
            id=data["id"],
            kind=data["kind"],
            state=data["state"],
            created_at=data["created_at"],
            position=data.get("position"),
            voice=MediaRef.from_json(data["voice"]) if data.get("voice") else None,
            video=MediaRef.from_json(data["video"]) if data.get("video") else None,
            error=ErrorInfo.from_json(data["error"]) if data.get("error") else None,
            notices=tuple(data.get("notices") or ()),
        )


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One Server-Sent Event of a job: `name` is queued, position, running, speech_ready, video_ready,
    done or failed; `data` is its JSON payload."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.name in TERMINAL_EVENTS

    @property
    def media(self) -> MediaRef | None:
        """The clip of a speech_ready / video_ready event."""
        raw = self.data.get("media")
        return MediaRef.from_json(raw) if raw else None

    @property
    def job(self) -> Job | None:
        """The finished job of a done event."""
        raw = self.data.get("job")
        return Job.from_json(raw) if raw else None

    @property
    def error(self) -> ErrorInfo | None:
        raw = self.data.get("error")
        return ErrorInfo.from_json(raw) if raw else None


@dataclass(frozen=True, slots=True)
class VoiceChoice:
    """The voice part of a Profile."""

    engine: str | None = None
    voice: str | None = None
    rate: float = 1.0
    pitch: float = 0.0
    volume: float = 1.0
    enrolled: bool = False
    pronunciations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "voice": self.voice,
            "rate": self.rate,
            "pitch": self.pitch,
            "volume": self.volume,
            "enrolled": self.enrolled,
            "pronunciations": dict(self.pronunciations),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VoiceChoice:
        return cls(
            engine=data.get("engine"),
            voice=data.get("voice"),
            rate=float(data.get("rate", 1.0)),
            pitch=float(data.get("pitch", 0.0)),
            volume=float(data.get("volume", 1.0)),
            enrolled=bool(data.get("enrolled", False)),
            pronunciations=dict(data.get("pronunciations") or {}),
        )


@dataclass(frozen=True, slots=True)
class FaceChoice:
    """The face part of a Profile."""

    engine: str = "cartoon"
    style: str = "default"
    has_photo: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "style": self.style, "has_photo": self.has_photo}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaceChoice:
        return cls(
            engine=data.get("engine", "cartoon"),
            style=data.get("style", "default"),
            has_photo=bool(data.get("has_photo", False)),
        )


@dataclass(frozen=True, slots=True)
class Consent:
    purpose: str
    text: str
    granted_at: str
    scope: str | None = None
    granted_by: Identity | None = None
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "scope": self.scope,
            "text": self.text,
            "granted_at": self.granted_at,
            "granted_by": self.granted_by.to_json() if self.granted_by else None,
            "revoked_at": self.revoked_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Consent:
        return cls(
            purpose=data["purpose"],
            text=data["text"],
            granted_at=data["granted_at"],
            scope=data.get("scope"),
            granted_by=Identity.from_json(data["granted_by"]) if data.get("granted_by") else None,
            revoked_at=data.get("revoked_at"),
        )


@dataclass(frozen=True, slots=True)
class Profile:
    platform: str
    user_id: str
    language: str
    output: str
    captions: str
    voice: VoiceChoice
    face: FaceChoice
    consents: tuple[Consent, ...] = ()

    @property
    def identity(self) -> Identity:
        return Identity(self.platform, self.user_id)

    def has_consent(self, purpose: str, scope: str | None = None) -> bool:
        return any(c.active and c.purpose == purpose and c.scope == scope for c in self.consents)

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "user_id": self.user_id,
            "language": self.language,
            "output": self.output,
            "captions": self.captions,
            "voice": self.voice.to_json(),
            "face": self.face.to_json(),
            "consents": [c.to_json() for c in self.consents],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        return cls(
            platform=data["platform"],
            user_id=str(data["user_id"]),
            language=data["language"],
            output=data["output"],
            captions=data["captions"],
            voice=VoiceChoice.from_json(data.get("voice") or {}),
            face=FaceChoice.from_json(data.get("face") or {}),
            consents=tuple(Consent.from_json(c) for c in data.get("consents") or ()),
        )


@dataclass(frozen=True, slots=True)
class Phrase:
    id: int
    text: str
    position: int
    category: str | None = None
    use_count: int = 0
    last_used_at: str | None = None
    ready: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "category": self.category,
            "position": self.position,
            "use_count": self.use_count,
            "last_used_at": self.last_used_at,
            "ready": self.ready,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Phrase:
        return cls(
            id=int(data["id"]),
            text=data["text"],
            position=int(data["position"]),
            category=data.get("category"),
            use_count=int(data.get("use_count", 0)),
            last_used_at=data.get("last_used_at"),
            ready=bool(data.get("ready", False)),
        )


@dataclass(frozen=True, slots=True)
class Guild:
    platform: str
    guild_id: str
    tutor_role_ids: tuple[str, ...] = ()
    allowed_channel_ids: tuple[str, ...] = ()  # empty: every channel
    default_language: str = "en"

    def channel_allowed(self, channel_id: str) -> bool:
        return not self.allowed_channel_ids or str(channel_id) in self.allowed_channel_ids

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "guild_id": self.guild_id,
            "tutor_role_ids": list(self.tutor_role_ids),
            "allowed_channel_ids": list(self.allowed_channel_ids),
            "default_language": self.default_language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Guild:
        return cls(
            platform=data["platform"],
            guild_id=str(data["guild_id"]),
            tutor_role_ids=tuple(str(r) for r in data.get("tutor_role_ids") or ()),
            allowed_channel_ids=tuple(str(c) for c in data.get("allowed_channel_ids") or ()),
            default_language=data.get("default_language", "en"),
        )
