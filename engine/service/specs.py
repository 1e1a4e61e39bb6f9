"""Render specs: everything a worker needs to render one message, frozen into the job's JSON payload.

The API resolves the person's settings when it accepts the request, so a job renders what was asked even
if the profile changes while it waits. The spec's hash keys the clip cache: identical requests with
identical settings are rendered once.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import replace
from typing import Any

from storage.blobs import BlobStore
from storage.models import FaceProfile, User, VoiceProfile

from engine.errors import InvalidInput
from engine.service.context import ServiceOptions
from engine.types import CaptionMode, FaceSettings, OutputFormat, RenderRequest, VoiceSettings

AUTO_ENGINE = "auto"  # stored voice engine meaning "the default for the language"
SPEC_VERSION = 1  # bump when rendering changes so old cache entries stop matching


def normalise_text(text: str) -> str:
    """NFC and trimmed, so the same message typed twice hits the same cache entry."""
    return unicodedata.normalize("NFC", text).strip()


def voice_spec(user: User, voice: VoiceProfile | None) -> dict[str, Any]:
    if voice is None:
        return {
            "engine": None,
            "voice": None,
            "rate": 1.0,
            "pitch": 0.0,
            "volume": 1.0,
            "language": user.language,
            "pronunciations": {},
        }
    return {
        "engine": None if voice.engine == AUTO_ENGINE else voice.engine,
        "voice": voice.voice_id,
        "rate": voice.rate,
        "pitch": voice.pitch,
        "volume": voice.volume,
        "language": user.language,
        "pronunciations": dict(voice.pronunciation_overrides or {}),
    }


def face_spec(face: FaceProfile | None) -> dict[str, Any]:
    if face is None:
        return {"engine": "cartoon", "style": "default", "prepared_face_blob": None}
    return {
        "engine": face.engine,
        "style": face.style or "default",
        "prepared_face_blob": face.prepared_face_blob if face.engine != "cartoon" else None,
    }


def render_spec(
    text: str,
    user: User,
    voice: VoiceProfile | None,
    face: FaceProfile | None,
    *,
    output: str | None,
    captions: str | None,
    size_limit_bytes: int | None,
    options: ServiceOptions,
) -> dict[str, Any]:
    spec = {
        "v": SPEC_VERSION,
        "text": normalise_text(text),
        "output": output or str(user.output_format),
        "captions": captions or str(user.captions),
        "size_limit_bytes": size_limit_bytes,
        "voice": voice_spec(user, voice),
        "face": face_spec(face),
        "video_size": options.video_size,
        "fps": options.fps,
    }
    to_request(spec, prepared_face=None)  # validate now, so a bad request is a 400, not a failed job
    return spec


def spec_hash(spec: dict[str, Any]) -> str:
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def cache_key(spec_digest: str, kind: str) -> str:
    """Clip-cache key of the voice or video clip of a spec."""
    return f"{spec_digest}:{kind}"


def final_kind(spec: dict[str, Any]) -> str:
    return "voice" if spec["output"] == OutputFormat.VOICE else "video"


def to_request(spec: dict[str, Any], *, prepared_face: bytes | None) -> RenderRequest:
    """The pipeline's RenderRequest for a spec (InvalidInput for values the types reject)."""
    v, f = spec["voice"], spec["face"]
    try:
        voice = VoiceSettings(
            engine=v["engine"],
            voice=v["voice"],
            rate=v["rate"],
            pitch=v["pitch"],
            volume=v["volume"],
            language=v["language"],
            pronunciations=v["pronunciations"],
        )
        face = FaceSettings(engine=f["engine"], style=f["style"], size=spec["video_size"], fps=spec["fps"])
        if prepared_face is not None:
            face = replace(face, prepared_face=prepared_face)
        return RenderRequest(
            text=spec["text"],
            voice=voice,
            face=face,
            output=OutputFormat(spec["output"]),
            captions=CaptionMode(spec["captions"]),
            size_limit_bytes=spec["size_limit_bytes"],
        )
    except ValueError as exc:
        raise InvalidInput(f"That request isn't quite right: {exc}.") from exc


def load_request(spec: dict[str, Any], store: BlobStore) -> RenderRequest:
    """to_request with the prepared face read from the blob store (a blocking read: call it in a thread)."""
    key = spec["face"].get("prepared_face_blob")
    return to_request(spec, prepared_face=store.get(key) if key else None)
