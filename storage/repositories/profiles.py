"""Voice and face profiles. A user may keep several; exactly one of each kind is active at a time."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.blobs import validate_key
from storage.db import translate_errors
from storage.errors import InvalidValueError, NotFoundError
from storage.models import FaceProfile, VoiceProfile
from storage.repositories._common import check_json, clean_text, flush, get_or_404
from storage.repositories.users import get_user

ProfileT = TypeVar("ProfileT", VoiceProfile, FaceProfile)

_VOICE_FIELDS = {
    "name",
    "engine",
    "voice_id",
    "rate",
    "pitch",
    "volume",
    "language",
    "pronunciation_overrides",
    "reference_audio_blob",
    "reference_audio_mime",
    "engine_state_blob",
}
_FACE_FIELDS = {"name", "engine", "style", "photo_blob", "photo_mime", "prepared_face_blob", "weights_blob"}
_TEXT_LIMITS = {
    "name": 100,
    "engine": 32,
    "language": 35,
    "voice_id": 200,
    "style": 100,
    "reference_audio_mime": 100,
    "photo_mime": 100,
}
_REQUIRED = {"name", "engine", "language"}
_BLOB_FIELDS = {
    "reference_audio_blob",
    "engine_state_blob",
    "photo_blob",
    "prepared_face_blob",
    "weights_blob",
}


def _validated(model: type[ProfileT], fields: dict[str, Any]) -> dict[str, Any]:
    allowed = _VOICE_FIELDS if model is VoiceProfile else _FACE_FIELDS
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidValueError(f"Unknown profile field(s): {', '.join(sorted(unknown))}.")
    out = dict(fields)
    for name, limit in _TEXT_LIMITS.items():
        if name in out and (out[name] is not None or name in _REQUIRED):
            out[name] = clean_text(out[name], name.replace("_", " "), limit)
    for name in _BLOB_FIELDS & out.keys():
        if out[name] is not None:
            validate_key(out[name])
    if "rate" in out and not 0.25 <= float(out["rate"]) <= 4.0:
        raise InvalidValueError("The speaking rate must be between 0.25 and 4 times normal.")
    if "pitch" in out and not -24.0 <= float(out["pitch"]) <= 24.0:
        raise InvalidValueError("The pitch shift must be between -24 and +24 semitones.")
    if "volume" in out and not 0.0 <= float(out["volume"]) <= 4.0:
        raise InvalidValueError("The volume must be between 0 and 4.")
    overrides = out.get("pronunciation_overrides")
    if overrides is not None:
        if not isinstance(overrides, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() for k, v in overrides.items()
        ):
            raise InvalidValueError("Pronunciation overrides must map words to how they are said.")
        check_json(overrides, "pronunciation overrides")
    return out


def _blob_keys(profile: VoiceProfile | FaceProfile) -> list[str]:
    return [getattr(profile, f) for f in _BLOB_FIELDS if getattr(profile, f, None)]


async def _create(
    session: AsyncSession, model: type[ProfileT], user_id: int, activate: bool, **fields: Any
) -> ProfileT:
    await get_user(session, user_id)
    if "engine" not in fields:
        raise InvalidValueError("A profile needs an engine.")
    profile = model(user_id=user_id, **_validated(model, fields))
    session.add(profile)
    await flush(session)
    if activate:
        await _activate(session, model, user_id, profile.id)
    return profile


async def _get(session: AsyncSession, model: type[ProfileT], user_id: int, profile_id: int) -> ProfileT:
    profile = await get_or_404(session, model, profile_id, "profile")
    if profile.user_id != user_id:
        raise NotFoundError("That profile does not exist (any more).")
    return profile


async def _active(session: AsyncSession, model: type[ProfileT], user_id: int) -> ProfileT | None:
    with translate_errors():
        return (
            await session.execute(select(model).where(model.user_id == user_id, model.is_active.is_(True)))
        ).scalar_one_or_none()


async def _activate(session: AsyncSession, model: type[ProfileT], user_id: int, profile_id: int) -> ProfileT:
    profile = await _get(session, model, user_id, profile_id)
    with translate_errors():
        # Deactivate first: the partial unique index allows one active profile per user at any instant.
        await session.execute(
            update(model)
            .where(model.user_id == user_id, model.id != profile_id, model.is_active.is_(True))
            .values(is_active=False)
            .execution_options(synchronize_session="fetch")
        )
    profile.is_active = True
    await flush(session)
    return profile


async def _update(
    session: AsyncSession, model: type[ProfileT], user_id: int, profile_id: int, changes: dict[str, Any]
) -> tuple[ProfileT, list[str]]:
    profile = await _get(session, model, user_id, profile_id)
    before = set(_blob_keys(profile))
    for name, value in _validated(model, changes).items():
        setattr(profile, name, value)
    await flush(session)
    return profile, sorted(before - set(_blob_keys(profile)))


async def _delete(session: AsyncSession, model: type[ProfileT], user_id: int, profile_id: int) -> list[str]:
    profile = await _get(session, model, user_id, profile_id)
    keys = _blob_keys(profile)
    await session.delete(profile)
    await flush(session)
    return sorted(keys)


async def _list(session: AsyncSession, model: type[ProfileT], user_id: int) -> list[ProfileT]:
    with translate_errors():
        rows = await session.execute(select(model).where(model.user_id == user_id).order_by(model.id))
    return list(rows.scalars())


# Voice profiles -------------------------------------------------------------------------------------------


async def create_voice_profile(
    session: AsyncSession,
    user_id: int,
    *,
    engine: str,
    activate: bool = True,
    voice_id: str | None = None,
    rate: float = 1.0,
    pitch: float = 0.0,
    volume: float = 1.0,
    language: str = "en",
    pronunciation_overrides: dict[str, str] | None = None,
    reference_audio_blob: str | None = None,
    reference_audio_mime: str | None = None,
    engine_state_blob: str | None = None,
    name: str = "My voice",
) -> VoiceProfile:
    """Add a voice profile (blob keys come from `BlobStore.put`); by default it becomes the active one."""
    return await _create(
        session,
        VoiceProfile,
        user_id,
        activate,
        engine=engine,
        voice_id=voice_id,
        rate=rate,
        pitch=pitch,
        volume=volume,
        language=language,
        pronunciation_overrides=pronunciation_overrides or {},
        reference_audio_blob=reference_audio_blob,
        reference_audio_mime=reference_audio_mime,
        engine_state_blob=engine_state_blob,
        name=name,
    )


async def get_voice_profile(session: AsyncSession, user_id: int, profile_id: int) -> VoiceProfile:
    return await _get(session, VoiceProfile, user_id, profile_id)


async def get_active_voice_profile(session: AsyncSession, user_id: int) -> VoiceProfile | None:
    return await _active(session, VoiceProfile, user_id)


async def list_voice_profiles(session: AsyncSession, user_id: int) -> list[VoiceProfile]:
    return await _list(session, VoiceProfile, user_id)


async def activate_voice_profile(session: AsyncSession, user_id: int, profile_id: int) -> VoiceProfile:
    return await _activate(session, VoiceProfile, user_id, profile_id)


async def update_voice_profile(
    session: AsyncSession, user_id: int, profile_id: int, **changes: Any
) -> tuple[VoiceProfile, list[str]]:
    """Change the given fields. Returns (profile, blob keys it no longer references) for `release_blobs`."""
    return await _update(session, VoiceProfile, user_id, profile_id, changes)


async def delete_voice_profile(session: AsyncSession, user_id: int, profile_id: int) -> list[str]:
    """Delete it; returns the blob keys it referenced (release them after commit)."""
    return await _delete(session, VoiceProfile, user_id, profile_id)


# Face profiles --------------------------------------------------------------------------------------------


async def create_face_profile(
    session: AsyncSession,
    user_id: int,
    *,
    engine: str,
    activate: bool = True,
    style: str | None = None,
    photo_blob: str | None = None,
    photo_mime: str | None = None,
    prepared_face_blob: str | None = None,
    weights_blob: str | None = None,
    name: str = "My face",
) -> FaceProfile:
    """Add a face profile; by default it becomes the active one."""
    return await _create(
        session,
        FaceProfile,
        user_id,
        activate,
        engine=engine,
        style=style,
        photo_blob=photo_blob,
        photo_mime=photo_mime,
        prepared_face_blob=prepared_face_blob,
        weights_blob=weights_blob,
        name=name,
    )


async def get_face_profile(session: AsyncSession, user_id: int, profile_id: int) -> FaceProfile:
    return await _get(session, FaceProfile, user_id, profile_id)


async def get_active_face_profile(session: AsyncSession, user_id: int) -> FaceProfile | None:
    return await _active(session, FaceProfile, user_id)


async def list_face_profiles(session: AsyncSession, user_id: int) -> list[FaceProfile]:
    return await _list(session, FaceProfile, user_id)


async def activate_face_profile(session: AsyncSession, user_id: int, profile_id: int) -> FaceProfile:
    return await _activate(session, FaceProfile, user_id, profile_id)


async def update_face_profile(
    session: AsyncSession, user_id: int, profile_id: int, **changes: Any
) -> tuple[FaceProfile, list[str]]:
    """Change the given fields. Returns (profile, blob keys no longer referenced by it)."""
    return await _update(session, FaceProfile, user_id, profile_id, changes)


async def delete_face_profile(session: AsyncSession, user_id: int, profile_id: int) -> list[str]:
    return await _delete(session, FaceProfile, user_id, profile_id)
