"""The service's side of storage's durable queue: enqueueing with public ids, reading a job's progress,
and finishing a job straight from the clip cache."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from storage.models import ClipCacheEntry, Job, JobState
from storage.repositories import jobs

from engine.service import schema
from engine.service.refs import new_secret
from engine.service.specs import cache_key
from engine.service.views import job_view


async def enqueue(
    session: AsyncSession,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    frontend: str,
    idempotency_key: str | None = None,
    max_attempts: int = 3,
) -> tuple[Job, bool]:
    """Queue a job of `kind` for the user; (job, created). The same idempotency key returns the first job."""
    full = {**payload, "secret": new_secret(), "frontend": frontend}
    key = f"{frontend}:{idempotency_key}" if idempotency_key is not None else None
    done = await jobs.enqueue_job(
        session, user_id, kind, full, idempotency_key=key, max_attempts=max_attempts
    )
    return done.job, done.created


async def clip_meta(session: AsyncSession, key: str) -> dict[str, Any] | None:
    """A cached clip's media details (with its blob key), without marking it used: this is a poll."""
    entry = await session.get(ClipCacheEntry, key)
    if entry is None:
        return None
    return {**entry.meta, "blob": entry.blob, "mime": entry.mime, "size_bytes": entry.size_bytes}


async def job_progress(session: AsyncSession, job: Job) -> schema.Job:
    """The API's view of a job: its place in the queue, and its voice clip as soon as it exists."""
    position = await jobs.queue_position(session, job.id) if job.state is JobState.QUEUED else None
    voice = None
    digest = job.payload.get("hash")
    if job.state is JobState.RUNNING and digest and job.kind in ("render", "phrase"):
        voice = await clip_meta(session, cache_key(digest, "voice"))
    return job_view(job, position=position, voice_meta=voice)


async def finish_queued(session: AsyncSession, job_id: int, result: dict[str, Any], final: str) -> Job | None:
    """Mark a still-queued job done with an already rendered result (a clip-cache hit), in one guarded
    statement; None if a worker claimed it meanwhile (the worker then serves it from the cache)."""
    now = datetime.now(UTC)
    stmt = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(
            state=JobState.DONE,
            result_blob=result[final]["blob"],
            result_mime=result[final]["mime"],
            result_meta=result,
            started_at=now,
            finished_at=now,
            updated_at=now,
        )
        .returning(Job)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
