"""The service's side of storage's durable queue: enqueueing with public ids, reading a job's progress,
and finishing a job straight from the clip cache."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from engine.service import schema
from engine.service.refs import new_secret
from engine.service.specs import cache_key
from engine.service.views import job_view
from storage.models import ClipCacheEntry, Job, JobState
from storage.repositories import jobs


async def enqueue(
    session: AsyncSession,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    frontend: str,
    idempotency_key: str | None = None,
    input_blob: str | None = None,
    max_attempts: int = 3,
) -> tuple[Job, bool]:
    """Queue a job of `kind` for the user; (job, created). The same idempotency key returns the first job.
    `input_blob`: the upload the job works on, kept by the job until it finishes."""
    full = {**payload, "secret": new_secret(), "frontend": frontend}
    key = f"{frontend}:{idempotency_key}" if idempotency_key is not None else None
    done = await jobs.enqueue_job(
        session, user_id, kind, full, idempotency_key=key, input_blob=input_blob, max_attempts=max_attempts
    )
    return done.job, done.created


async def clip_meta(session: AsyncSession, key: str) -> dict[str, Any] | None:
    """A cached clip's media details (with its blob key), without marking it used: this is a poll."""
    entry = await session.get(ClipCacheEntry, key)
    if entry is None:
        return None
    return {**entry.meta, "blob": entry.blob, "mime": entry.mime, "size_bytes": entry.size_bytes}


async def job_progress(session: AsyncSession, job: Job, *, position: bool = True) -> schema.Job:
    """The API's view of a job: its place in the queue (unless `position` is False: working it out reads
    the whole queue), and its voice clip as soon as it exists."""
    place = await jobs.queue_position(session, job.id) if position and job.state is JobState.QUEUED else None
    voice = None
    digest = job.payload.get("hash")
    if job.state is JobState.RUNNING and digest and job.kind in ("render", "phrase"):
        voice = await clip_meta(session, cache_key(digest, "voice"))
    return job_view(job, position=place, voice_meta=voice)


async def finish_queued(session: AsyncSession, job_id: int, result: dict[str, Any], final: str) -> Job | None:
    """Mark a still-queued job done with an already rendered result (a clip-cache hit); None if a worker
    claimed it meanwhile (the worker then serves it from the cache)."""
    return await jobs.complete_queued_job(
        session,
        job_id,
        result_blob=result[final]["blob"],
        result_mime=result[final]["mime"],
        result_meta=result,
    )
