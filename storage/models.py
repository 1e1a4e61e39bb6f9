"""The schema as typed ORM classes. Alembic revisions in migrations/ must match this file exactly.

Media never lives in rows: `*_blob` columns hold the SHA-256 key of a blob in the content-addressed store
(storage.blobs); `BLOB_COLUMNS` lists them all so deletion can tell whether a blob is still referenced.
Every row that belongs to a person hangs off `users.id` with ON DELETE CASCADE.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

BLOB_KEY_LENGTH = 64  # hex SHA-256
CONSENT_SCOPE_LENGTH = 100


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive; we re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OutputFormat(enum.StrEnum):
    VIDEO = "video"
    VIDEO_NOTE = "video_note"
    VOICE = "voice"


class CaptionsMode(enum.StrEnum):
    SOFT = "soft"
    BURN = "burn"
    NONE = "none"


class Platform(enum.StrEnum):
    TELEGRAM = "telegram"
    DISCORD = "discord"


class ConsentPurpose(enum.StrEnum):
    VOICE_CLONING = "voice_cloning"
    FACE_ANIMATION = "face_animation"
    ACT_FOR_ANOTHER = "act_for_another"  # a tutor or carer sends messages as this person


class GuildRole(enum.StrEnum):
    MEMBER = "member"
    TUTOR = "tutor"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # VARCHAR + CHECK on every backend: adding a value later is a plain migration, not ALTER TYPE.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


def _user_fk(nullable: bool = False, ondelete: str = "CASCADE") -> Mapped[Any]:
    return mapped_column(ForeignKey("users.id", ondelete=ondelete), nullable=nullable, index=True)


def _blob(nullable: bool = True) -> Mapped[Any]:
    return mapped_column(String(BLOB_KEY_LENGTH), nullable=nullable, index=True)


class User(Base):
    """A person, across platforms, with the settings the bots need."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    output_format: Mapped[OutputFormat] = mapped_column(
        _enum(OutputFormat, "output_format"), default=OutputFormat.VIDEO
    )
    captions: Mapped[CaptionsMode] = mapped_column(
        _enum(CaptionsMode, "captions_mode"), default=CaptionsMode.SOFT
    )
    language: Mapped[str] = mapped_column(String(35), default="en")  # BCP 47 tag
    interface_locale: Mapped[str] = mapped_column(String(35), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlatformIdentity(Base):
    """Who a user is on one platform; one person may link both bots to one `User`."""

    __tablename__ = "platform_identities"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _one_active_per_user(table: str) -> Index:
    return Index(
        f"uq_{table}_one_active",
        "user_id",
        unique=True,
        sqlite_where=text("is_active"),
        postgresql_where=text("is_active"),
    )


class VoiceProfile(Base):
    """How a user sounds. Several may exist; at most one is active (partial unique index)."""

    __tablename__ = "voice_profiles"
    __table_args__ = (_one_active_per_user("voice_profiles"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(100), default="My voice")
    engine: Mapped[str] = mapped_column(String(32))
    voice_id: Mapped[str | None] = mapped_column(String(200))
    rate: Mapped[float] = mapped_column(default=1.0)
    pitch: Mapped[float] = mapped_column(default=0.0)  # semitones
    volume: Mapped[float] = mapped_column(default=1.0)
    language: Mapped[str] = mapped_column(String(35), default="en")
    pronunciation_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)  # word -> spoken form
    reference_audio_blob: Mapped[str | None] = _blob()
    reference_audio_mime: Mapped[str | None] = mapped_column(String(100))
    engine_state_blob: Mapped[str | None] = _blob()  # e.g. a SMALL-E initial state
    is_active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FaceProfile(Base):
    """How a user looks: a cartoon style or their photo, plus engine-prepared data."""

    __tablename__ = "face_profiles"
    __table_args__ = (_one_active_per_user("face_profiles"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(100), default="My face")
    engine: Mapped[str] = mapped_column(String(32))
    style: Mapped[str | None] = mapped_column(String(100))  # cartoon style / avatar id
    photo_blob: Mapped[str | None] = _blob()
    photo_mime: Mapped[str | None] = mapped_column(String(100))
    prepared_face_blob: Mapped[str | None] = _blob()
    weights_blob: Mapped[str | None] = _blob()  # per-user DiffTalk fine-tuned weights
    is_active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consent(Base):
    """What a person agreed to, in which words, when, and who recorded it for them."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()  # whose voice/face/identity the consent covers
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose, "consent_purpose"))
    # Where the consent holds, e.g. the class server of an ACT_FOR_ANOTHER; NULL: everywhere (not scoped).
    scope: Mapped[str | None] = mapped_column(String(CONSENT_SCOPE_LENGTH), index=True)
    text: Mapped[str] = mapped_column(Text)  # the exact wording agreed to
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when someone else (tutor, carer) records consent on the person's behalf; NULL: the person did.
    granted_by_user_id: Mapped[int | None] = _user_fk(nullable=True, ondelete="SET NULL")
    # For ACT_FOR_ANOTHER: who may act for `user_id`.
    grantee_user_id: Mapped[int | None] = _user_fk(nullable=True, ondelete="CASCADE")
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_user_id: Mapped[int | None] = _user_fk(nullable=True, ondelete="SET NULL")


class Phrase(Base):
    """A saved phrase, optionally with its rendered clip cached."""

    __tablename__ = "phrases"
    __table_args__ = (Index("ix_phrases_user_position", "user_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    use_count: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None] = mapped_column()
    clip_blob: Mapped[str | None] = _blob()
    clip_mime: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Guild(Base):
    """A Discord server (or Telegram group) used as a class, with its settings."""

    __tablename__ = "guilds"
    __table_args__ = (UniqueConstraint("platform", "platform_guild_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    platform_guild_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    tutor_role_ids: Mapped[list[str]] = mapped_column(default=list)
    allowed_channel_ids: Mapped[list[str]] = mapped_column(default=list)  # empty: every channel
    default_language: Mapped[str | None] = mapped_column(String(35))
    default_output_format: Mapped[OutputFormat | None] = mapped_column(_enum(OutputFormat, "output_format"))
    default_captions: Mapped[CaptionsMode | None] = mapped_column(_enum(CaptionsMode, "captions_mode"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GuildMember(Base):
    __tablename__ = "guild_members"

    guild_id: Mapped[int] = mapped_column(ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[GuildRole] = mapped_column(_enum(GuildRole, "guild_role"), default=GuildRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """The durable render/enrol queue."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_jobs_state_available", "state", "available_at"),
        Index("ix_jobs_user_state", "user_id", "state"),
        Index("ix_jobs_user_started", "user_id", "started_at"),  # fair claim order: a user's last start
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    kind: Mapped[str] = mapped_column(String(32))  # "render", "enrol_voice", "enrol_face", ...
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    available_at: Mapped[datetime] = mapped_column(default=utcnow)  # retry backoff pushes this forward
    # The upload the job works on (voice sample, photo): a real reference, so the orphan sweep spares it
    # however long the job waits. Cleared when the job finishes; by then a profile holds what it kept.
    input_blob: Mapped[str | None] = _blob()
    result_blob: Mapped[str | None] = _blob()
    result_mime: Mapped[str | None] = mapped_column(String(100))
    result_meta: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ClipCacheEntry(Base):
    """Rendered media by request hash, so repeated requests (saved phrases, retries) are instant."""

    __tablename__ = "clip_cache"

    request_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = _user_fk()
    blob: Mapped[str] = _blob(nullable=False)
    mime: Mapped[str] = mapped_column(String(100))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)


# Every column that holds a blob key: a blob may be deleted only when none of these mention it.
BLOB_COLUMNS = (
    VoiceProfile.reference_audio_blob,
    VoiceProfile.engine_state_blob,
    FaceProfile.photo_blob,
    FaceProfile.prepared_face_blob,
    FaceProfile.weights_blob,
    Phrase.clip_blob,
    Job.input_blob,
    Job.result_blob,
    ClipCacheEntry.blob,
)

__all__ = [
    "BLOB_COLUMNS",
    "CONSENT_SCOPE_LENGTH",
    "Base",
    "CaptionsMode",
    "ClipCacheEntry",
    "Consent",
    "ConsentPurpose",
    "FaceProfile",
    "Guild",
    "GuildMember",
    "GuildRole",
    "Job",
    "JobState",
    "OutputFormat",
    "Phrase",
    "Platform",
    "PlatformIdentity",
    "User",
    "VoiceProfile",
    "utcnow",
]
