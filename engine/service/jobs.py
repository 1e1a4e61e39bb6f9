"""The worker: claims jobs from storage's durable queue under a lease and runs them.

Rendering is CPU- (or GPU-) bound, so it runs on a dedicated thread while the event loop keeps the lease
alive and stores results. A render stores its voice clip the moment it exists (so "speech_ready" reaches
the person before the video is done). Permanent failures (AvatarLabError) end the job with their kind
message; anything else is retried with backoff. On shutdown the current job gets a grace period to
finish, then is handed back to the queue; a worker that dies without a goodbye loses its lease, and the
next claim (by any worker) requeues the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from engine.errors import AvatarLabError
from engine.media.audio import decode_audio
from engine.pipeline import Pipeline, SpeechReady, StageTimes
from engine.service import engines
from engine.service.context import ServiceContext
from engine.service.housekeeping import sweep
from engine.service.queue import clip_meta
from engine.service.refs import encode_error
from engine.service.specs import cache_key, final_kind, load_request, normalise_text, spec_hash, voice_spec
from engine.types import Clip
from storage.errors import ConflictError, NotFoundError, StorageError
from storage.models import Job, JobState
from storage.repositories import blobrefs, clips, jobs, phrases, profiles, users

log = logging.getLogger(__name__)

INTERNAL_FAILURE = encode_error(
    "internal", "Something went wrong while making this. Please try sending it again in a moment."
)
FACE_PREVIEW_TEXT = {
    "en": "Hello! This is my new face.",
    "de": "Hallo! Das ist mein neues Gesicht.",
    "es": "¡Hola! Esta es mi nueva cara.",
    "fr": "Bonjour ! Voici mon nouveau visage.",
}
GONE = "Something this needed was deleted before I got to it. Please send it again."
KINDS = ("render", "phrase", "prerender", "enrol_voice", "prepare_face")


class LeaseLost(Exception):
    """Another worker took the job over (our lease expired); our result must not be written."""


class Worker:
    def __init__(
        self, ctx: ServiceContext, *, worker_id: str | None = None, pipeline: Pipeline | None = None
    ) -> None:
        self.ctx = ctx
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.pipeline = pipeline or Pipeline(ctx.settings)
        # Jobs rendered at once: 1 keeps a GPU's memory for one model run; on several CPU cores a second
        # job's speech overlaps the first one's encoding (engines lock what is not thread-safe).
        self.concurrency = max(1, ctx.options.worker_jobs)
        self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="render")
        self.ready = asyncio.Event()  # set once the engines are warm and the worker claims jobs

    # --- loop -------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until `stop` is set."""
        try:
            await self._in_thread(engines.warm_up, self.pipeline, self.ctx.options.video_size)
        except Exception:  # a broken default engine shows up in each job's error, not as a dead worker
            log.exception("warming up the engines failed")
        self.ready.set()
        log.info("worker %s ready", self.id)
        stopping = asyncio.ensure_future(stop.wait())
        running: dict[asyncio.Future[None], Job] = {}
        housekeeping = asyncio.ensure_future(self._housekeeping())
        try:
            while not stop.is_set():
                job = await self._claim() if len(running) < self.concurrency else None
                if job is not None:
                    running[asyncio.ensure_future(self._process(job))] = job
                    continue
                # full, or nothing to do: wait for a job to finish, new work, the poll interval or stop
                idle = asyncio.ensure_future(self.ctx.queued.wait(self.ctx.options.poll_interval_s))
                waiting = (
                    {stopping, *running} if len(running) >= self.concurrency else {idle, stopping, *running}
                )
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                idle.cancel()
                for task in done & running.keys():
                    running.pop(task)
            await asyncio.gather(*(self._finish_or_release(t, j) for t, j in running.items()))
        finally:
            stopping.cancel()
            housekeeping.cancel()
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _housekeeping(self) -> None:
        while True:
            try:
                await sweep(self.ctx)
            except StorageError as exc:
                log.warning("housekeeping failed: %s", exc)
            await asyncio.sleep(self.ctx.options.housekeeping_interval_s)

    async def _finish_or_release(self, task: asyncio.Future[None], job: Job) -> None:
        grace = self.ctx.options.shutdown_grace_s
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
            return
        except TimeoutError:
            pass
        log.warning("job %s did not finish within %.0f s of shutdown; handing it back", job.id, grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _claim(self) -> Job | None:
        try:
            async with self.ctx.db.session() as s:
                return await jobs.claim_next_job(
                    s, self.id, lease_s=self.ctx.options.lease_s, kinds=list(KINDS)
                )
        except StorageError as exc:
            log.warning("claiming a job failed: %s", exc)
            await asyncio.sleep(self.ctx.options.poll_interval_s)
            return None

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # --- one job ----------------------------------------------------------------------------------------

    async def _process(self, job: Job) -> None:
        started = time.perf_counter()
        heartbeat = asyncio.ensure_future(self._heartbeat(job))
        handler: Callable[[Job], Awaitable[tuple[str | None, str | None, dict[str, Any]]]] = {
            "render": self._render_job,
            "phrase": self._render_job,
            "prerender": self._render_job,
            "enrol_voice": self._enrol_voice,
            "prepare_face": self._prepare_face,
        }[job.kind]
        outcome = "done"
        try:
            blob, mime, meta = await _until_lost(handler(job), heartbeat)
            async with self.ctx.db.session() as s:
                await jobs.complete_job(
                    s, job.id, self.id, result_blob=blob, result_mime=mime, result_meta=meta
                )
        except asyncio.CancelledError:
            outcome = "released"
            await self._fail(
                job, encode_error("busy", "The engine restarted; your message is next."), True, 0.0
            )
            raise
        except AvatarLabError as exc:
            outcome = "failed"
            await self._fail(job, encode_error(exc.code, exc.message), False)
        except (LeaseLost, ConflictError):
            outcome = "lost"
            log.warning("job %s: lease lost to another worker; dropping this worker's result", job.id)
        except NotFoundError:
            # the person was forgotten (the job is gone with them) or something it needs was deleted
            outcome = "gone"
            await self._fail(job, encode_error("not_found", GONE), False)
        except Exception:
            outcome = "retry"
            log.exception("job %s (%s) failed unexpectedly", job.id, job.kind)
            await self._fail(job, INTERNAL_FAILURE, True)
        finally:
            heartbeat.cancel()
            self.ctx.metrics.job_finished(job.kind, outcome)
            self.ctx.metrics.observe_stage(f"job_{job.kind}", time.perf_counter() - started)
            self.ctx.signals.notify(job.id)

    async def _fail(self, job: Job, error: str, retryable: bool, backoff_s: float | None = None) -> None:
        base = self.ctx.options.backoff_base_s if backoff_s is None else backoff_s
        try:
            async with self.ctx.db.session() as s:
                failed = await jobs.fail_job(
                    s, job.id, self.id, error, retryable=retryable, backoff_base_s=base
                )
        except (ConflictError, NotFoundError):
            return  # taken over or gone: the other worker (or nobody) reports it
        except StorageError as exc:
            log.warning("could not record the failure of job %s: %s (its lease will expire)", job.id, exc)
            return
        if failed.state is JobState.FAILED:
            await self._release_input(job)

    async def _release_input(self, job: Job) -> None:
        """A failed upload job leaves nothing behind: storage let go of the upload when the job failed, so
        it goes now unless a profile uses the same content. `job` is the claimed row, which still names it."""
        if job.input_blob:
            try:
                await blobrefs.release_blobs(self.ctx.db, self.ctx.store, [job.input_blob])
            except StorageError as exc:
                log.warning("could not release the upload of job %s: %s", job.id, exc)

    async def _heartbeat(self, job: Job) -> None:
        interval = self.ctx.options.lease_s / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.ctx.db.session() as s:
                    await jobs.extend_lease(s, job.id, self.id, lease_s=self.ctx.options.lease_s)
            except (ConflictError, NotFoundError) as exc:
                raise LeaseLost() from exc
            except StorageError as exc:
                log.warning("lease heartbeat for job %s failed: %s", job.id, exc)

    # --- kinds ------------------------------------------------------------------------------------------

    async def _render_job(self, job: Job) -> tuple[str | None, str | None, dict[str, Any]]:
        spec = job.payload["spec"]
        digest = job.payload.get("hash") or spec_hash(spec)
        result = await self.render(job, spec, digest)
        final = result[final_kind(spec)]
        phrase_id = job.payload.get("phrase_id")
        if phrase_id is not None:
            await self._update_phrase(job, phrase_id, spec, final)
        return final["blob"], final["mime"], result

    async def render(self, job: Job, spec: dict[str, Any], digest: str) -> dict[str, Any]:
        """Render a spec (or take it from the clip cache); {"voice": meta, "video": meta|None, "notices"}."""
        final = final_kind(spec)
        async with self.ctx.db.session() as s:
            cached = await clips.get_cached_clip(s, cache_key(digest, final))
            voice = await clip_meta(s, cache_key(digest, "voice"))
        if cached is not None and voice is not None and self.ctx.store.exists(cached.blob):
            self.ctx.metrics.cache_hit()
            meta = {**cached.meta, "blob": cached.blob, "mime": cached.mime, "size_bytes": cached.size_bytes}
            return {"voice": voice, "video": meta if final == "video" else None, "notices": []}
        try:
            request = await asyncio.to_thread(load_request, spec, self.ctx.store)
        except NotFoundError:
            # the photo was removed while this waited: say it with the cartoon rather than not at all
            spec = {**spec, "face": {"engine": "cartoon", "style": "default", "prepared_face_blob": None}}
            request = await asyncio.to_thread(load_request, spec, self.ctx.store)
        loop = asyncio.get_running_loop()
        saved: list[Future[dict[str, Any]]] = []
        times = StageTimes()

        def run() -> Clip | None:
            video = None
            for event in self.pipeline.render(request, times=times):
                if isinstance(event, SpeechReady):
                    save = self._save_clip(job, cache_key(digest, "voice"), event.voice)
                    saved.append(asyncio.run_coroutine_threadsafe(save, loop))
                else:
                    video = event.clip
            return video

        video = await self._in_thread(run)
        for stage, seconds in times.stages.items():
            self.ctx.metrics.observe_stage(stage, seconds)
        voice_meta = await asyncio.wrap_future(saved[0])
        video_meta = None
        if video is not None:
            video_meta = await self._save_clip(job, cache_key(digest, "video"), video)
        return {"voice": voice_meta, "video": video_meta, "notices": []}

    async def _save_clip(self, job: Job, key: str, clip: Clip) -> dict[str, Any]:
        blob = await asyncio.to_thread(self.ctx.store.put, clip.data)
        details = {
            "duration_s": round(clip.duration_s, 3),
            "width": clip.width,
            "height": clip.height,
            "captions_srt": clip.captions_srt,
        }
        async with self.ctx.db.session() as s:
            _, replaced = await clips.put_cached_clip(
                s, key, job.user_id, blob, clip.mime, size_bytes=len(clip.data), meta=details
            )
        if replaced:
            await blobrefs.release_blobs(self.ctx.db, self.ctx.store, replaced)
        if key.endswith(":voice"):
            self.ctx.signals.notify(job.id)  # its event streams send speech_ready now
        return {**details, "blob": blob, "mime": clip.mime, "size_bytes": len(clip.data)}

    async def _update_phrase(
        self, job: Job, phrase_id: int, spec: dict[str, Any], final: dict[str, Any]
    ) -> None:
        async with self.ctx.db.session() as s:
            try:
                phrase = await phrases.get_phrase(s, job.user_id, phrase_id)
            except NotFoundError:
                return  # deleted meanwhile: the job still delivers its clip
            replaced: list[str] = []
            if normalise_text(phrase.text) == spec["text"]:  # not edited meanwhile
                _, replaced = await phrases.set_phrase_clip(
                    s, job.user_id, phrase_id, final["blob"], final["mime"]
                )
            if job.kind == "phrase":
                await phrases.record_phrase_use(s, job.user_id, phrase_id)
        if replaced:
            await blobrefs.release_blobs(self.ctx.db, self.ctx.store, replaced)

    async def _enrol_voice(self, job: Job) -> tuple[str | None, str | None, dict[str, Any]]:
        """With the embedded engines, enrolment keeps the checked recording as the voice's reference
        (SMALL-E builds its voice from it when its weights are installed)."""
        key, mime = _upload(job)
        data = await asyncio.to_thread(self.ctx.store.get, key)
        await self._in_thread(lambda: decode_audio(data, max_seconds=self.ctx.options.max_sample_s))
        async with self.ctx.db.session() as s:
            user = await users.get_user(s, job.user_id)
            voice = await profiles.get_active_voice_profile(s, job.user_id)
            replaced: list[str] = []
            if voice is None:
                await profiles.create_voice_profile(
                    s,
                    job.user_id,
                    engine="auto",
                    language=user.language,
                    reference_audio_blob=key,
                    reference_audio_mime=mime,
                )
            else:
                _, replaced = await profiles.update_voice_profile(
                    s, job.user_id, voice.id, reference_audio_blob=key, reference_audio_mime=mime
                )
        if replaced:
            await blobrefs.release_blobs(self.ctx.db, self.ctx.store, replaced)
        return None, None, {"voice": None, "video": None, "notices": []}

    async def _prepare_face(self, job: Job) -> tuple[str | None, str | None, dict[str, Any]]:
        from engine.face.portrait import prepare

        key, mime = _upload(job)
        photo = await asyncio.to_thread(self.ctx.store.get, key)
        prepared = await self._in_thread(prepare, photo)
        prepared_key = await asyncio.to_thread(self.ctx.store.put, prepared.to_bytes())
        async with self.ctx.db.session() as s:
            old = await profiles.get_active_face_profile(s, job.user_id)
            style = old.style if old is not None and old.style else "default"
            dropped: list[str] = []
            # Keep one photo of a person, not a history of them.
            for face in await profiles.list_face_profiles(s, job.user_id):
                if face.engine == "portrait":
                    dropped += await profiles.delete_face_profile(s, job.user_id, face.id)
            await profiles.create_face_profile(
                s,
                job.user_id,
                engine="portrait",
                style=style,
                photo_blob=key,
                photo_mime=mime,
                prepared_face_blob=prepared_key,
            )
            user = await users.get_user(s, job.user_id)
            voice = await profiles.get_active_voice_profile(s, job.user_id)
        dropped = [k for k in dropped if k not in (key, prepared_key)]
        if dropped:
            await blobrefs.release_blobs(self.ctx.db, self.ctx.store, dropped)
        spec = job.payload["preview_spec"]
        language = (user.language or "en").split("-")[0]
        spec = {
            **spec,
            "text": FACE_PREVIEW_TEXT.get(language, FACE_PREVIEW_TEXT["en"]),
            "voice": voice_spec(user, voice),
            "face": {"engine": "portrait", "style": style, "prepared_face_blob": prepared_key},
        }
        result = await self.render(job, spec, spec_hash(spec))
        result = {**result, "notices": list(prepared.notices)}
        return result["video"]["blob"], result["video"]["mime"], result


async def _until_lost(work: Awaitable[Any], heartbeat: asyncio.Future[None]) -> Any:
    """Run `work`, but stop with LeaseLost as soon as the heartbeat finds the lease gone."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        return task.result()
    task.cancel()
    heartbeat.result()  # raises LeaseLost (or whatever stopped it)
    raise LeaseLost()


def _upload(job: Job) -> tuple[str, str]:
    """The upload an enrol/prepare job works on: its key (held by the job's `input_blob`) and type."""
    if not job.input_blob:
        raise NotFoundError(GONE)  # failed as "gone": the person is asked to send it again
    return job.input_blob, job.payload["mime"]


__all__ = ["KINDS", "LeaseLost", "Worker"]
