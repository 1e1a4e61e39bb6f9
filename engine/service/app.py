"""The engine service's HTTP API (aiohttp), as specified in docs/api.md.

Handlers validate, resolve the person's settings and queue work; the worker (engine.service.jobs) does
the rendering. Every failure is answered as {"error": {"code", "message"}} with the matching status.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.errors import (
    Busy,
    ConsentRequired,
    EmptyText,
    InvalidInput,
    NotFound,
    RateLimited,
    TextTooLong,
    UnsupportedMedia,
)
from engine.media.audio import decode_audio, sniff_audio
from engine.service import engines, schema
from engine.service.auth import TokenAuth, frontend, parse_tokens
from engine.service.context import ServiceContext
from engine.service.http import (
    JSON_LIMIT,
    UPLOAD_LIMIT,
    choice,
    error_middleware,
    field,
    read_body,
    read_json,
)
from engine.service.queue import clip_meta, enqueue, finish_queued, job_progress
from engine.service.ratelimit import RateLimiter
from engine.service.refs import NO_SUCH_JOB, NO_SUCH_MEDIA, ParsedId, parse_job_id, parse_media_id
from engine.service.specs import AUTO_ENGINE, cache_key, final_kind, render_spec, spec_hash
from engine.service.views import (
    API_PURPOSES,
    consent_view,
    guild_view,
    phrase_view,
    profile_view,
)
from engine.types import VoiceSettings
from storage.errors import NotFoundError
from storage.models import CONSENT_SCOPE_LENGTH, Job, JobState, User
from storage.repositories import blobrefs, consent, guilds, jobs, phrases, privacy, profiles, users

log = logging.getLogger(__name__)

CTX = web.AppKey("ctx", ServiceContext)
LIMITER = web.AppKey("limiter", RateLimiter)

QUEUE_FULL = "I have a lot of messages to make right now. I'll be ready for yours in a moment."
NOT_READY = "That clip isn't ready yet."
DEFAULT_PREVIEW = {
    "en": "Hello! This is how my voice sounds.",
    "de": "Hallo! So klingt meine Stimme.",
    "es": "¡Hola! Así suena mi voz.",
    "fr": "Bonjour ! Voici ma voix.",
}
MAX_PRONUNCIATIONS = 500
MAX_PHRASE_CHARS = 1000
IDENTITY_FIELDS = {"platform", "user_id"}


def create_app(ctx: ServiceContext) -> web.Application:
    auth = TokenAuth(parse_tokens(ctx.settings.api_tokens))
    app = web.Application(middlewares=[error_middleware, auth.middleware], client_max_size=UPLOAD_LIMIT)
    app[CTX] = ctx
    app[LIMITER] = RateLimiter(ctx.settings.rate_limit_per_minute)
    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/metrics", metrics)
    r.add_get("/v1/voices", list_voices)
    r.add_get("/v1/styles", list_styles)
    r.add_post("/v1/render", render)
    r.add_get("/v1/jobs/{id}", get_job)
    r.add_get("/v1/jobs/{id}/events", job_events)
    r.add_get("/v1/media/{id}", get_media)
    user = "/v1/users/{platform}/{user_id}"
    r.add_get(user, get_profile)
    r.add_patch(user, update_profile)
    r.add_put(user + "/pronunciations", set_pronunciations)
    r.add_post(user + "/voice/samples", enrol_voice)
    r.add_post(user + "/voice/preview", preview_voice)
    r.add_post(user + "/face/photo", set_face_photo)
    r.add_delete(user + "/face/photo", clear_face_photo)
    r.add_get(user + "/consents", list_consents)
    r.add_post(user + "/consents", grant_consent)
    r.add_delete(user + "/consents/{purpose}", revoke_consent)
    r.add_get(user + "/phrases", list_phrases)
    r.add_post(user + "/phrases", add_phrase)
    r.add_patch(user + "/phrases/{phrase_id}", update_phrase)
    r.add_delete(user + "/phrases/{phrase_id}", delete_phrase)
    r.add_post(user + "/phrases/{phrase_id}/speak", speak_phrase)
    r.add_post(user + "/forget", forget)
    r.add_get(user + "/export", export)
    r.add_get("/v1/guilds/{platform}/{guild_id}", get_guild)
    r.add_put("/v1/guilds/{platform}/{guild_id}", put_guild)
    return app


def _ctx(request: web.Request) -> ServiceContext:
    return request.app[CTX]


# --- helpers -----------------------------------------------------------------------------------------------


def _identity(value: Any, what: str = "user") -> schema.Identity:
    if not isinstance(value, dict) or set(value) != IDENTITY_FIELDS:
        raise InvalidInput(f"{what} must be an object with platform and user_id.")
    platform, user_id = value["platform"], value["user_id"]
    if platform not in schema.PLATFORMS:
        raise InvalidInput(f"{what}.platform must be one of: {', '.join(schema.PLATFORMS)}.")
    if isinstance(user_id, bool) or not isinstance(user_id, str | int) or not str(user_id).strip():
        raise InvalidInput(f"{what}.user_id must be a non-empty string.")
    return schema.Identity(platform, str(user_id).strip())


def _path_identity(request: web.Request) -> schema.Identity:
    platform, user_id = request.match_info["platform"], request.match_info["user_id"]
    if platform not in schema.PLATFORMS:
        raise NotFound(f"There is no platform called {platform!r}.")
    return schema.Identity(platform, user_id)


async def _user(s: AsyncSession, identity: schema.Identity) -> User:
    user, _ = await users.get_or_create_user(s, identity.platform, identity.user_id)
    return user


async def _existing_user(s: AsyncSession, identity: schema.Identity) -> User | None:
    return await users.find_user_by_identity(s, identity.platform, identity.user_id)


async def _profile(s: AsyncSession, identity: schema.Identity, user: User) -> schema.Profile:
    voice = await profiles.get_active_voice_profile(s, user.id)
    face = await profiles.get_active_face_profile(s, user.id)
    return profile_view(identity, user, voice, face, await _consents(s, user.id))


async def _consents(s: AsyncSession, user_id: int) -> list[schema.Consent]:
    out = []
    for row in await consent.list_consents(s, user_id):
        granted_by = None
        if row.granted_by_user_id is not None:
            ids = await users.list_identities(s, row.granted_by_user_id)
            if ids:
                granted_by = schema.Identity(str(ids[0].platform), ids[0].platform_user_id)
        out.append(consent_view(row, granted_by))
    return out


async def _has_consent(s: AsyncSession, user_id: int, purpose: str, scope: str | None = None) -> bool:
    return await consent.has_active_consent(s, user_id, API_PURPOSES[purpose], scope=scope)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _job_json(job: schema.Job, created: bool = True) -> web.Response:
    return _json(job.to_json(), status=202 if created else 200)


def _check_text(text: Any, limit: int) -> str:
    if not isinstance(text, str):
        raise InvalidInput("text must be a string.")
    if not text.strip():
        raise EmptyText()
    if len(text) > limit:
        raise TextTooLong(len(text), limit)
    return text


def _size_limit(data: dict[str, Any]) -> int | None:
    value = field(data, "size_limit_bytes", int)
    if value is not None and value <= 0:
        raise InvalidInput("size_limit_bytes must be a positive number of bytes.")
    return value


async def _admit(request: web.Request, s: AsyncSession, identity: schema.Identity) -> None:
    """Back-pressure before new work: the sender's rate limit (429), then the queue limit (503)."""
    ctx = _ctx(request)
    try:
        request.app[LIMITER].check(f"{frontend(request)}:{identity.path}")
    except RateLimited:
        ctx.metrics.reject("rate_limited")
        raise
    depth = await jobs.queue_depth(s)
    if depth >= ctx.settings.queue_limit:
        ctx.metrics.reject("busy")
        raise Busy(QUEUE_FULL, retry_after_s=max(2.0, min(60.0, depth / 10)))


async def _existing_job(s: AsyncSession, user_id: int, front: str, key: str | None) -> Job | None:
    if key is None:
        return None
    stmt = select(Job).where(Job.user_id == user_id, Job.idempotency_key == f"{front}:{key}")
    return (await s.execute(stmt)).scalar_one_or_none()


async def _render_job(
    request: web.Request,
    data: dict[str, Any],
    *,
    sender: schema.Identity,
    text: str,
    kind: str,
    output: str | None,
    captions: str | None,
    phrase_id: int | None = None,
) -> web.Response:
    """Queue (or answer from the clip cache) a render for `sender` or, with on_behalf_of, the person a
    tutor speaks for."""
    ctx = _ctx(request)
    front = frontend(request)
    key = field(data, "idempotency_key", str)
    size_limit = _size_limit(data)
    behalf = _identity(data["on_behalf_of"], "on_behalf_of") if data.get("on_behalf_of") is not None else None
    guild_id = field(data, "guild_id", str)
    async with ctx.db.session() as s:
        speaker = behalf or sender
        user = await _user(s, speaker)
        if behalf is not None:
            if guild_id is None:
                raise InvalidInput("guild_id is needed when speaking on behalf of someone.")
            await _user(s, sender)
            if not await _has_consent(s, user.id, "act_for_me", guild_id):
                raise ConsentRequired("They haven't agreed to let tutors speak for them in this server yet.")
        existing = await _existing_job(s, user.id, front, key)
        if existing is not None:
            return _job_json(await job_progress(s, existing), created=False)
        await _admit(request, s, sender)
        voice = await profiles.get_active_voice_profile(s, user.id)
        face = await profiles.get_active_face_profile(s, user.id)
        spec = render_spec(
            text,
            user,
            voice,
            face,
            output=output,
            captions=captions,
            size_limit_bytes=size_limit,
            options=ctx.options,
        )
        digest = spec_hash(spec)
        payload: dict[str, Any] = {"spec": spec, "hash": digest, "api_kind": kind}
        if phrase_id is not None:
            payload["phrase_id"] = phrase_id
        job, created = await enqueue(
            s,
            user.id,
            "phrase" if phrase_id is not None else "render",
            payload,
            frontend=front,
            idempotency_key=key,
            max_attempts=ctx.options.max_attempts,
        )
        if created:
            done = await _from_cache(s, job, spec, digest)
            if done is not None:
                job = done
                if phrase_id is not None:
                    await phrases.record_phrase_use(s, user.id, phrase_id)
        view = await job_progress(s, job)
    if view.state == "queued":
        ctx.queued.notify()
    return _job_json(view, created)


async def _from_cache(s: AsyncSession, job: Job, spec: dict[str, Any], digest: str) -> Job | None:
    """Finish a just-queued job at once when the same request was rendered before."""
    final = final_kind(spec)
    voice = await clip_meta(s, cache_key(digest, "voice"))
    clip = voice if final == "voice" else await clip_meta(s, cache_key(digest, "video"))
    if voice is None or clip is None:
        return None
    result = {"voice": voice, "video": clip if final == "video" else None, "notices": []}
    return await finish_queued(s, job.id, result, final)


async def _load_job(request: web.Request, s: AsyncSession, public_id: str) -> Job:
    return await _owned_job(request, s, parse_job_id(public_id), NO_SUCH_JOB)


async def _owned_job(request: web.Request, s: AsyncSession, parsed: ParsedId, not_found: str) -> Job:
    """The job a job or media id names, if the calling front end created it; 404 otherwise."""
    try:
        job = await jobs.get_job(s, parsed.row_id)
    except NotFoundError as exc:
        raise NotFound(not_found) from exc
    if job.payload.get("frontend") != frontend(request) or not parsed.matches(job.payload.get("secret")):
        raise NotFound(not_found)
    return job


# --- service -----------------------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    async with ctx.db.session() as s:
        depth = await jobs.queue_depth(s)
        by_state = {str(k): v for k, v in (await jobs.count_jobs_by_state(s)).items()}
    text = ctx.metrics.render(queue_depth=depth, jobs_by_state=by_state, models=engines.model_states())
    return web.Response(
        text=text, content_type="text/plain", charset="utf-8", headers={"X-Content-Type-Options": "nosniff"}
    )


async def list_voices(request: web.Request) -> web.Response:
    language = request.query.get("language") or None
    found = await asyncio.to_thread(engines.voices, language)
    return _json(
        {"voices": [{"id": v.id, "name": v.name, "language": v.language, "engine": v.engine} for v in found]}
    )


async def list_styles(request: web.Request) -> web.Response:
    return _json({"styles": await asyncio.to_thread(engines.styles)})


# --- jobs --------------------------------------------------------------------------------------------------


async def render(request: web.Request) -> web.Response:
    data = await read_json(
        request,
        allowed={
            "user",
            "text",
            "output",
            "captions",
            "size_limit_bytes",
            "idempotency_key",
            "on_behalf_of",
            "guild_id",
        },
        required={"user", "text"},
    )
    sender = _identity(data["user"])
    text = _check_text(data["text"], _ctx(request).settings.max_text_chars)
    return await _render_job(
        request,
        data,
        sender=sender,
        text=text,
        kind="render",
        output=choice(data, "output", schema.OUTPUTS),
        captions=choice(data, "captions", schema.CAPTIONS),
    )


async def get_job(request: web.Request) -> web.Response:
    async with _ctx(request).db.session() as s:
        job = await _load_job(request, s, request.match_info["id"])
        return _json((await job_progress(s, job)).to_json())


async def job_events(request: web.Request) -> web.StreamResponse:
    ctx = _ctx(request)
    async with ctx.db.session() as s:
        job = await _load_job(request, s, request.match_info["id"])
    job_id = job.id
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    try:
        await _stream_events(ctx, resp, job_id)
    except ConnectionResetError:
        log.debug("event stream of job %s closed by the client", job_id)
    return resp


async def _stream_events(ctx: ServiceContext, resp: web.StreamResponse, job_id: int) -> None:
    """Write the job's events until it is done or failed (see docs/api.md for the event names)."""
    loop = asyncio.get_running_loop()
    sent: set[str] = set()
    last_position: int | None = None
    idle_since = position_at = loop.time()

    async def send(name: str, data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False)
        await resp.write(f"event: {name}\ndata: {payload}\n\n".encode())

    while True:
        wakeup = ctx.signals.watch(job_id)
        # A queued job's place is worked out from the whole queue: only every few seconds, not every poll.
        with_position = "queued" not in sent or loop.time() - position_at >= ctx.options.position_interval_s
        try:
            async with ctx.db.session() as s:
                view = await job_progress(s, await jobs.get_job(s, job_id), position=with_position)
        except NotFoundError:  # the job (or its person) was deleted while we watched
            await send("failed", {"error": {"code": "not_found", "message": NO_SUCH_JOB}})
            break
        events: list[tuple[str, dict[str, Any]]] = []
        if "queued" not in sent:
            events.append(("queued", {"position": view.position}))
            last_position = view.position
        elif view.state == "queued" and with_position:
            position_at = loop.time()
            if view.position != last_position:
                events.append(("position", {"position": view.position}))
                last_position = view.position
        if view.state != "queued" and "running" not in sent:
            events.append(("running", {}))
        if view.voice is not None and "speech_ready" not in sent:
            events.append(("speech_ready", {"media": view.voice.to_json()}))
        if view.video is not None and "video_ready" not in sent:
            events.append(("video_ready", {"media": view.video.to_json()}))
        if view.state == "done":
            events.append(("done", {"job": view.to_json()}))
        elif view.state == "failed":
            error = view.error.to_json() if view.error else {"code": "error", "message": "That didn't work."}
            events.append(("failed", {"error": error}))
        for name, data in events:
            sent.add(name)
            await send(name, data)
        if view.finished:
            break
        now = loop.time()
        if events:
            idle_since = now
        elif now - idle_since >= ctx.options.keepalive_s:
            await resp.write(b": keep-alive\n\n")
            idle_since = now
        await ctx.signals.wait(wakeup, ctx.options.poll_interval_s)
    await resp.write_eof()


async def get_media(request: web.Request) -> web.StreamResponse:
    ctx = _ctx(request)
    parsed = parse_media_id(request.match_info["id"])
    async with ctx.db.session() as s:
        job = await _owned_job(request, s, parsed, NO_SUCH_MEDIA)
        meta = (job.result_meta or {}).get(parsed.kind or "")
        if (
            meta is None
            and job.state is JobState.RUNNING
            and parsed.kind == "voice"
            and job.payload.get("hash")
        ):
            meta = await clip_meta(s, cache_key(job.payload["hash"], "voice"))
    if meta is None:
        raise NotFound(NOT_READY if job.state in (JobState.QUEUED, JobState.RUNNING) else NO_SUCH_MEDIA)
    path = ctx.store.path(meta["blob"])
    if not path.is_file():
        raise NotFound(NO_SUCH_MEDIA)
    extension = {"audio/ogg": "ogg", "video/mp4": "mp4"}.get(meta["mime"], "bin")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": meta["mime"],
            "Content-Disposition": f'inline; filename="{parsed.kind}.{extension}"',
            "Cache-Control": "private, max-age=86400",
        },
    )


# --- profiles ----------------------------------------------------------------------------------------------


async def get_profile(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        return _json((await _profile(s, identity, user)).to_json())


async def update_profile(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    data = await read_json(
        request,
        allowed={"language", "output", "captions", "engine", "voice", "rate", "pitch", "volume", "style"},
    )
    output = choice(data, "output", schema.OUTPUTS)
    captions = choice(data, "captions", schema.CAPTIONS)
    language = field(data, "language", str)
    if language is not None and not 1 <= len(language.strip()) <= 35:
        raise InvalidInput("language must be a language code such as en, de or pt-br.")
    style = field(data, "style", str)
    if style is not None:
        await asyncio.to_thread(engines.check_style, style)
    voice_changes = {k: data[k] for k in ("engine", "voice", "rate", "pitch", "volume") if k in data}
    for name in ("rate", "pitch", "volume"):
        if name in voice_changes:
            voice_changes[name] = float(
                field(data, name, int | float, default=1.0 if name != "pitch" else 0.0)
            )
    for name in ("engine", "voice"):
        if name in voice_changes:
            voice_changes[name] = field(data, name, str) or None
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        voice = await _ensure_voice(s, user)
        merged = {
            "engine": None if voice.engine == AUTO_ENGINE else voice.engine,
            "voice": voice.voice_id,
            "rate": voice.rate,
            "pitch": voice.pitch,
            "volume": voice.volume,
            **voice_changes,
        }
        if "engine" in voice_changes and "voice" not in voice_changes:
            merged["voice"] = None  # a voice id belongs to its engine
        if voice_changes or language is not None:
            try:
                settings = VoiceSettings(
                    engine=merged["engine"],
                    voice=merged["voice"],
                    rate=merged["rate"],
                    pitch=merged["pitch"],
                    volume=merged["volume"],
                    language=(language or user.language).strip(),
                )
            except ValueError as exc:
                raise InvalidInput(f"{str(exc).capitalize()}.") from exc
            await asyncio.to_thread(engines.check_voice, settings)
            await profiles.update_voice_profile(
                s,
                user.id,
                voice.id,
                engine=merged["engine"] or AUTO_ENGINE,
                voice_id=merged["voice"],
                rate=merged["rate"],
                pitch=merged["pitch"],
                volume=merged["volume"],
                language=settings.language,
            )
        if output is not None or captions is not None or language is not None:
            user = await users.update_user_settings(
                s,
                user.id,
                output_format=output,
                captions=captions,
                language=language.strip() if language else None,
            )
        if style is not None:
            await _use_cartoon(s, user, style)
        return _json((await _profile(s, identity, user)).to_json())


async def _ensure_voice(s: AsyncSession, user: User) -> Any:
    voice = await profiles.get_active_voice_profile(s, user.id)
    if voice is None:
        voice = await profiles.create_voice_profile(s, user.id, engine=AUTO_ENGINE, language=user.language)
    return voice


async def _use_cartoon(s: AsyncSession, user: User, style: str) -> None:
    """Make a cartoon face with `style` the active face (a photo, if any, is kept for later)."""
    for face in await profiles.list_face_profiles(s, user.id):
        if face.engine == "cartoon":
            await profiles.update_face_profile(s, user.id, face.id, style=style)
            await profiles.activate_face_profile(s, user.id, face.id)
            return
    await profiles.create_face_profile(s, user.id, engine="cartoon", style=style)


async def set_pronunciations(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    raw = await read_body(request, JSON_LIMIT)
    try:
        mapping = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The request body is not valid JSON.") from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in mapping.items()
    ):
        raise InvalidInput("Send an object mapping each word to how it should be said.")
    if len(mapping) > MAX_PRONUNCIATIONS:
        raise InvalidInput(f"That is more than {MAX_PRONUNCIATIONS} pronunciations.")
    clean = {k.strip(): v.strip() for k, v in mapping.items()}
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        voice = await _ensure_voice(s, user)
        await profiles.update_voice_profile(s, user.id, voice.id, pronunciation_overrides=clean)
        return _json((await _profile(s, identity, user)).to_json())


async def enrol_voice(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    identity = _path_identity(request)
    transcript = request.query.get("transcript")
    async with ctx.db.session() as s:
        user = await _user(s, identity)
        if not await _has_consent(s, user.id, "voice_cloning"):
            raise ConsentRequired("Before I can learn your voice, please agree to voice cloning first.")
    data = await read_body(request, UPLOAD_LIMIT, "recording")
    if sniff_audio(data) is None:
        raise UnsupportedMedia("I can't use that file as a voice recording. Please send a voice message.")
    audio, rate = await asyncio.to_thread(decode_audio, data, max_seconds=ctx.options.max_sample_s)
    seconds = len(audio) / rate
    if seconds < ctx.options.min_sample_s:
        raise InvalidInput(
            f"That recording is only {seconds:.1f} seconds long. Please record at least "
            f"{ctx.options.min_sample_s:.0f} seconds of speech."
        )
    mime = request.headers.get("Content-Type") or f"audio/{sniff_audio(data)}"
    return await _upload_job(request, identity, "enrol_voice", data, mime[:100], {"transcript": transcript})


async def _upload_job(
    request: web.Request, identity: schema.Identity, kind: str, data: bytes, mime: str, extra: dict[str, Any]
) -> web.Response:
    ctx = _ctx(request)
    async with ctx.db.session() as s:
        user = await _user(s, identity)
        await _admit(request, s, identity)
    key = await asyncio.to_thread(ctx.store.put, data)
    try:
        async with ctx.db.session() as s:
            user = await _user(s, identity)
            payload = {"mime": mime, "api_kind": kind, **extra}
            if kind == "prepare_face":
                voice = await profiles.get_active_voice_profile(s, user.id)
                payload["preview_spec"] = render_spec(
                    "Hello!",
                    user,
                    voice,
                    None,
                    output="video",
                    captions="none",
                    size_limit_bytes=None,
                    options=ctx.options,
                )
            job, _ = await enqueue(
                s,
                user.id,
                kind,
                payload,
                frontend=frontend(request),
                input_blob=key,
                max_attempts=ctx.options.max_attempts,
            )
            view = await job_progress(s, job)
    except BaseException:
        await blobrefs.release_blobs(ctx.db, ctx.store, [key])
        raise
    ctx.queued.notify()
    return _job_json(view)


async def preview_voice(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    data = await read_json(request, allowed={"text"}, optional_body=True)
    text = data.get("text")
    if text is None:
        async with _ctx(request).db.session() as s:
            language = (await _user(s, identity)).language.split("-")[0]
        text = DEFAULT_PREVIEW.get(language, DEFAULT_PREVIEW["en"])
    text = _check_text(text, _ctx(request).settings.max_text_chars)
    return await _render_job(
        request, {}, sender=identity, text=text, kind="render", output="voice", captions=None
    )


async def set_face_photo(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    identity = _path_identity(request)
    async with ctx.db.session() as s:
        user = await _user(s, identity)
        if not await _has_consent(s, user.id, "face_animation"):
            raise ConsentRequired("Before I can animate your photo, please agree to face animation first.")
    data = await read_body(request, UPLOAD_LIMIT, "photo")
    mime = await asyncio.to_thread(_image_mime, data)
    return await _upload_job(request, identity, "prepare_face", data, mime, {})


def _image_mime(data: bytes) -> str:
    from engine.media.decode import sniff_image_type

    kind = sniff_image_type(data)
    if kind is None:
        raise UnsupportedMedia(
            "That doesn't look like a photo. Please send a JPEG, PNG, WebP or HEIC picture."
        )
    return f"image/{kind}"


async def clear_face_photo(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    identity = _path_identity(request)
    dropped: list[str] = []
    async with ctx.db.session() as s:
        user = await _user(s, identity)
        active = await profiles.get_active_face_profile(s, user.id)
        style = active.style if active is not None and active.style else "default"
        for face in await profiles.list_face_profiles(s, user.id):
            if face.engine != "cartoon":
                dropped += await profiles.delete_face_profile(s, user.id, face.id)
        await _use_cartoon(s, user, style)
        view = await _profile(s, identity, user)
    if dropped:
        await blobrefs.release_blobs(ctx.db, ctx.store, dropped)
    return _json(view.to_json())


# --- consent -----------------------------------------------------------------------------------------------


async def list_consents(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        return _json({"consents": [c.to_json() for c in await _consents(s, user.id)]})


async def grant_consent(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    data = await read_json(
        request, allowed={"purpose", "text", "scope", "granted_by"}, required={"purpose", "text"}
    )
    purpose = choice(data, "purpose", schema.CONSENT_PURPOSES)
    text = field(data, "text", str)
    if not text or not text.strip():
        raise InvalidInput("Please include the exact words that were agreed to.")
    scope = field(data, "scope", str)
    if purpose == "act_for_me" and not scope:
        raise InvalidInput("Say which server (scope) tutors may speak for this person in.")
    if scope is not None and (not scope.strip() or len(scope.strip()) > CONSENT_SCOPE_LENGTH):
        raise InvalidInput("scope must be a server id.")
    granted_by = _identity(data["granted_by"], "granted_by") if data.get("granted_by") is not None else None
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        by_id = (await _user(s, granted_by)).id if granted_by is not None else None
        row = await consent.record_consent(
            s,
            user.id,
            API_PURPOSES[purpose or ""],
            text.strip(),
            # an act_for_me consent names a server, not a person: it covers that server's tutors
            scope=scope,
            granted_by_user_id=by_id if by_id != user.id else None,
        )
        return _json(consent_view(row, granted_by).to_json(), status=201)


async def revoke_consent(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    purpose = request.match_info["purpose"]
    if purpose not in schema.CONSENT_PURPOSES:
        raise InvalidInput(f"purpose must be one of: {', '.join(schema.CONSENT_PURPOSES)}.")
    scope = request.query.get("scope") or None
    if scope is not None and (not scope.strip() or len(scope.strip()) > CONSENT_SCOPE_LENGTH):
        raise InvalidInput("scope must be a server id.")
    async with _ctx(request).db.session() as s:
        user = await _existing_user(s, identity)
        revoked = 0
        if user is not None:
            # no scope given: the purpose is withdrawn everywhere it was granted
            revoked = await consent.revoke_consent(
                s, user.id, API_PURPOSES[purpose], scope=scope if scope is not None else consent.ANY_SCOPE
            )
    return _json({"revoked": revoked})


# --- phrase book -------------------------------------------------------------------------------------------


def _phrase_id(request: web.Request) -> int:
    try:
        return int(request.match_info["phrase_id"])
    except ValueError as exc:
        raise NotFound("There is no such phrase.") from exc


async def list_phrases(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    query = (request.query.get("q") or "").strip().casefold()
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        rows = await phrases.list_phrases(s, user.id)
    found = [phrase_view(p).to_json() for p in rows if query in p.text.casefold()]
    return _json({"phrases": found})


async def add_phrase(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    data = await read_json(request, allowed={"text", "category"}, required={"text"})
    text = _check_text(data["text"], MAX_PHRASE_CHARS)
    category = field(data, "category", str)
    async with _ctx(request).db.session() as s:
        user = await _user(s, identity)
        row = await phrases.add_phrase(s, user.id, text.strip(), category=category)
        await _prerender(request, s, user, row.id, row.text)
        view = phrase_view(row)
    _ctx(request).queued.notify()
    return _json(view.to_json(), status=201)


async def _prerender(request: web.Request, s: AsyncSession, user: User, phrase_id: int, text: str) -> None:
    """Queue the phrase's clip in the person's usual format, so speaking it later is instant."""
    ctx = _ctx(request)
    voice = await profiles.get_active_voice_profile(s, user.id)
    face = await profiles.get_active_face_profile(s, user.id)
    spec = render_spec(
        text, user, voice, face, output=None, captions=None, size_limit_bytes=None, options=ctx.options
    )
    payload = {"spec": spec, "hash": spec_hash(spec), "phrase_id": phrase_id, "api_kind": "phrase"}
    await enqueue(
        s, user.id, "prerender", payload, frontend=frontend(request), max_attempts=ctx.options.max_attempts
    )


async def update_phrase(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    identity = _path_identity(request)
    phrase_id = _phrase_id(request)
    data = await read_json(request, allowed={"text", "category", "position"})
    text = _check_text(data["text"], MAX_PHRASE_CHARS) if "text" in data else None
    category = field(data, "category", str)
    position = field(data, "position", int)
    if position is not None and position < 0:
        raise InvalidInput("position must be 0 or more.")
    dropped: list[str] = []
    async with ctx.db.session() as s:
        user = await _user(s, identity)
        row = await phrases.get_phrase(s, user.id, phrase_id)
        if text is not None or "category" in data:
            row, dropped = await phrases.update_phrase(
                s,
                user.id,
                phrase_id,
                text=text.strip() if text else None,
                category=(category or "") if "category" in data else None,
            )
        if position is not None:
            await phrases.move_phrase(s, user.id, phrase_id, position)
        row = await phrases.get_phrase(s, user.id, phrase_id)
        await s.refresh(row)
        if text is not None:
            await _prerender(request, s, user, row.id, row.text)
        view = phrase_view(row)
    if dropped:
        await blobrefs.release_blobs(ctx.db, ctx.store, dropped)
    ctx.queued.notify()
    return _json(view.to_json())


async def delete_phrase(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    identity = _path_identity(request)
    phrase_id = _phrase_id(request)
    async with ctx.db.session() as s:
        user = await _user(s, identity)
        dropped = await phrases.delete_phrase(s, user.id, phrase_id)
    if dropped:
        await blobrefs.release_blobs(ctx.db, ctx.store, dropped)
    return web.Response(status=204)


async def speak_phrase(request: web.Request) -> web.Response:
    identity = _path_identity(request)
    phrase_id = _phrase_id(request)
    data = await read_json(
        request,
        allowed={"output", "size_limit_bytes", "idempotency_key", "on_behalf_of", "guild_id"},
        optional_body=True,
    )
    output = choice(data, "output", schema.OUTPUTS)
    owner = (
        _identity(data["on_behalf_of"], "on_behalf_of") if data.get("on_behalf_of") is not None else identity
    )
    async with _ctx(request).db.session() as s:
        user = await _user(s, owner)
        text = (await phrases.get_phrase(s, user.id, phrase_id)).text
    return await _render_job(
        request,
        data,
        sender=identity,
        text=text,
        kind="phrase",
        output=output,
        captions=None,
        phrase_id=phrase_id,
    )


# --- privacy -----------------------------------------------------------------------------------------------


async def forget(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    identity = _path_identity(request)
    async with ctx.db.session() as s:
        user = await _existing_user(s, identity)
    if user is not None:
        report = await privacy.forget_user(ctx.db, ctx.store, user.id)
        log.info("forgot user %s: %s", user.id, report.rows_deleted)
    return _json({"forgotten": True})


async def export(request: web.Request) -> web.StreamResponse:
    ctx = _ctx(request)
    identity = _path_identity(request)
    async with ctx.db.session() as s:
        user = await _user(s, identity)
    with tempfile.TemporaryDirectory(prefix="avatarlab-export-") as tmp:
        path = await privacy.export_user(ctx.db, ctx.store, user.id, Path(tmp) / "export.zip")
        resp = web.StreamResponse(
            headers={
                "Content-Type": "application/zip",
                "Content-Disposition": 'attachment; filename="avatarlab-export.zip"',
            }
        )
        resp.content_length = path.stat().st_size
        await resp.prepare(request)
        with path.open("rb") as fh:
            while chunk := await asyncio.to_thread(fh.read, 256 * 1024):
                await resp.write(chunk)
        await resp.write_eof()
    return resp


# --- guilds ------------------------------------------------------------------------------------------------


def _guild_path(request: web.Request) -> tuple[str, str]:
    platform, guild_id = request.match_info["platform"], request.match_info["guild_id"]
    if platform not in schema.PLATFORMS:
        raise NotFound(f"There is no platform called {platform!r}.")
    return platform, guild_id


async def get_guild(request: web.Request) -> web.Response:
    platform, guild_id = _guild_path(request)
    async with _ctx(request).db.session() as s:
        row = await guilds.find_guild(s, platform, guild_id)
        return _json(guild_view(row, platform, guild_id).to_json())


async def put_guild(request: web.Request) -> web.Response:
    platform, guild_id = _guild_path(request)
    fields = {"tutor_role_ids", "allowed_channel_ids", "default_language"}
    data = await read_json(request, allowed=fields, required=fields)
    ids = {}
    for name in ("tutor_role_ids", "allowed_channel_ids"):
        value = data[name]
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            raise InvalidInput(f"{name} must be a list of ids.")
        ids[name] = [str(v) for v in value]
    language = field(data, "default_language", str)
    if not language or not 1 <= len(language.strip()) <= 35:
        raise InvalidInput("default_language must be a language code such as en or de.")
    async with _ctx(request).db.session() as s:
        row, _ = await guilds.get_or_create_guild(s, platform, guild_id)
        row = await guilds.update_guild_settings(
            s,
            row.id,
            tutor_role_ids=ids["tutor_role_ids"],
            allowed_channel_ids=ids["allowed_channel_ids"],
            default_language=language.strip(),
        )
        return _json(guild_view(row, platform, guild_id).to_json())


__all__ = ["CTX", "create_app"]
