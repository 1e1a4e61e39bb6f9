"""Rows from storage → the API's value shapes (engine.service.schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.service import schema
from engine.service.refs import decode_error, job_public_id, media_id
from engine.service.specs import AUTO_ENGINE
from storage import models

API_PURPOSES = {
    "voice_cloning": "voice_cloning",
    "face_animation": "face_animation",
    "act_for_me": "act_for_another",
}
STORED_PURPOSES = {stored: api for api, stored in API_PURPOSES.items()}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def media_ref(job: models.Job, kind: str, meta: dict[str, Any]) -> schema.MediaRef:
    mid = media_id(job.id, job.payload["secret"], kind)
    return schema.MediaRef(
        id=mid,
        url=f"/v1/media/{mid}",
        mime=meta["mime"],
        size_bytes=int(meta["size_bytes"]),
        duration_s=meta.get("duration_s"),
        width=meta.get("width"),
        height=meta.get("height"),
        captions_srt=meta.get("captions_srt") or "",
    )


def job_view(
    job: models.Job,
    *,
    position: int | None = None,
    voice_meta: dict[str, Any] | None = None,
    video_meta: dict[str, Any] | None = None,
) -> schema.Job:
    """The API's Job. Media of a finished job come from its result; a running job's voice clip (made
    before its video) is passed in by the caller, who found it in the clip cache."""
    result = job.result_meta or {}
    voice_meta = result.get("voice") or voice_meta
    video_meta = result.get("video") or video_meta
    state = {"cancelled": "failed"}.get(str(job.state), str(job.state))
    error = None
    if state == "failed":
        code, message = decode_error(job.error or "cancelled")
        error = schema.ErrorInfo(code, message)
    return schema.Job(
        id=job_public_id(job.id, job.payload["secret"]),
        kind=job.payload.get("api_kind", job.kind),
        state=state,
        created_at=iso(job.created_at) or "",
        position=None if position is None else max(0, position - 1),  # storage counts from 1, the API from 0
        voice=media_ref(job, "voice", voice_meta) if voice_meta else None,
        video=media_ref(job, "video", video_meta) if video_meta else None,
        error=error,
        notices=tuple(result.get("notices") or ()),
    )


def consent_view(row: models.Consent, granted_by: schema.Identity | None) -> schema.Consent:
    return schema.Consent(
        purpose=STORED_PURPOSES.get(str(row.purpose), str(row.purpose)),
        text=row.text,
        granted_at=iso(row.granted_at) or "",
        scope=row.scope,
        granted_by=granted_by,
        revoked_at=iso(row.revoked_at),
    )


def profile_view(
    identity: schema.Identity,
    user: models.User,
    voice: models.VoiceProfile | None,
    face: models.FaceProfile | None,
    consents: list[schema.Consent],
) -> schema.Profile:
    voice_choice = schema.VoiceChoice()
    if voice is not None:
        voice_choice = schema.VoiceChoice(
            engine=None if voice.engine == AUTO_ENGINE else voice.engine,
            voice=voice.voice_id,
            rate=voice.rate,
            pitch=voice.pitch,
            volume=voice.volume,
            enrolled=voice.reference_audio_blob is not None,
            pronunciations=dict(voice.pronunciation_overrides or {}),
        )
    face_choice = schema.FaceChoice()
    if face is not None:
        face_choice = schema.FaceChoice(
            engine=face.engine, style=face.style or "default", has_photo=face.photo_blob is not None
        )
    return schema.Profile(
        platform=identity.platform,
        user_id=identity.user_id,
        language=user.language,
        output=str(user.output_format),
        captions=str(user.captions),
        voice=voice_choice,
        face=face_choice,
        consents=tuple(consents),
    )


def phrase_view(row: models.Phrase) -> schema.Phrase:
    return schema.Phrase(
        id=row.id,
        text=row.text,
        category=row.category,
        position=row.position,
        use_count=row.use_count,
        last_used_at=iso(row.last_used_at),
        ready=row.clip_blob is not None,
    )


def guild_view(row: models.Guild | None, platform: str, guild_id: str) -> schema.Guild:
    if row is None:
        return schema.Guild(platform=platform, guild_id=guild_id)
    return schema.Guild(
        platform=platform,
        guild_id=guild_id,
        tutor_role_ids=tuple(row.tutor_role_ids or ()),
        allowed_channel_ids=tuple(row.allowed_channel_ids or ()),
        default_language=row.default_language or "en",
    )
