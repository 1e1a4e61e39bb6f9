"""The durable job queue (render / enrol): idempotent enqueue, leased claims, retries with backoff.

Claim order is fair across users: the next job is the oldest job of the user with the fewest running
jobs, ties going to the user whose last job started longest ago (so with one worker, users take turns
instead of one user's fifty messages starving everyone else). PostgreSQL claims with
`FOR UPDATE SKIP LOCKED`, so concurrent workers never block on or double-claim a row; SQLite runs the claim
as one UPDATE statement, which SQLite serialises under its single write lock.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.blobs import validate_key
from storage.db import translate_errors
from storage.errors import ConflictError, InvalidValueError, NotFoundError
from storage.models import Job, JobState
from storage.repositories._common import as_enum, check_json, clean_text, get_or_404, now_or, upsert_insert
from storage.repositories.users import get_user

DEFAULT_LEASE_S = 120.0
LOST_WORKER_ERROR = "The worker handling this stopped responding."


@dataclass(frozen=True)
class Enqueued:
    job: Job
    created: bool  # False: the idempotency key matched an existing job, which is returned instead


async def enqueue_job(
    session: AsyncSession,
    user_id: int,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    input_blob: str | None = None,
    max_attempts: int = 3,
    now: datetime | None = None,
) -> Enqueued:
    """Queue a job. With an idempotency key, enqueuing twice (retries, double taps) yields one job.

    `input_blob`: the upload the job works on. The job references it until it finishes, so the orphan
    sweep spares it however long the job waits; when the key matched an existing job (`created` False),
    this call's `input_blob` is not referenced and the caller should release it.
    """
    kind = clean_text(kind, "job kind", 32)
    payload = check_json(payload or {}, "job payload")
    if not isinstance(payload, dict):
        raise InvalidValueError("The job payload must be a JSON object.")
    if max_attempts < 1:
        raise InvalidValueError("A job needs at least one attempt.")
    if idempotency_key is not None:
        idempotency_key = clean_text(idempotency_key, "idempotency key", 200)
    if input_blob is not None:
        validate_key(input_blob)
    await get_user(session, user_id)
    now = now_or(now)
    values = {
        "user_id": user_id,
        "kind": kind,
        "payload": payload,
        "state": JobState.QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "idempotency_key": idempotency_key,
        "available_at": now,
        "input_blob": input_blob,
        "created_at": now,
        "updated_at": now,
    }
    stmt = (
        upsert_insert(session, Job)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(Job.id)
    )
    with translate_errors():
        new_id = (await session.execute(stmt)).scalar_one_or_none()
        if new_id is not None:
            return Enqueued(await get_or_404(session, Job, new_id, "job"), True)
        existing = (
            await session.execute(
                select(Job).where(Job.user_id == user_id, Job.idempotency_key == idempotency_key)
            )
        ).scalar_one()
    return Enqueued(existing, False)


def _fair_order(candidate: Any) -> list[ColumnElement[Any]]:
    running = aliased(Job)
    started = aliased(Job)
    running_count = (
        select(func.count())
        .where(running.user_id == candidate.user_id, running.state == JobState.RUNNING)
        .scalar_subquery()
    )
    last_start = (
        select(func.max(started.started_at)).where(started.user_id == candidate.user_id).scalar_subquery()
    )
    return [
        running_count.asc(),
        last_start.asc().nulls_first(),
        candidate.created_at.asc(),
        candidate.id.asc(),
    ]


async def claim_next_job(
    session: AsyncSession,
    worker_id: str,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    kinds: list[str] | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Lease the next job to `worker_id` (state RUNNING, attempts+1), or None when nothing is due.

    Expired leases are returned to the queue first, so a crashed worker's job is picked up again.
    Commit promptly: on PostgreSQL the claimed row stays locked until the transaction ends.
    """
    worker_id = clean_text(worker_id, "worker id", 200)
    if lease_s <= 0:
        raise InvalidValueError("A lease must last some time.")
    now = now_or(now)
    await expire_stale_leases(session, now=now)
    candidate = aliased(Job)
    pick = select(candidate.id).where(candidate.state == JobState.QUEUED, candidate.available_at <= now)
    if kinds:
        pick = pick.where(candidate.kind.in_(kinds))
    pick = pick.order_by(*_fair_order(candidate)).limit(1).with_for_update(skip_locked=True, of=candidate)
    stmt = (
        update(Job)
        .where(Job.id == pick.scalar_subquery(), Job.state == JobState.QUEUED)
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_s),
            started_at=now,
            updated_at=now,
            error=None,
        )
        .returning(Job)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    with translate_errors():
        return (await session.execute(stmt)).scalar_one_or_none()


_LEASE_LOST = "This job is no longer leased to this worker."
_FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
# Every way a job finishes lets go of its upload: whatever a profile kept from it is referenced there, and
# a failed or cancelled job's upload becomes free to delete.
_LET_GO = {"lease_owner": None, "lease_expires_at": None, "input_blob": None}


async def _guarded_update(
    session: AsyncSession, job_id: int, guards: list[Any], values: dict[str, Any]
) -> Job | None:
    """UPDATE ... WHERE id AND guards RETURNING: the check and the write are one statement, so a stale read
    can never overwrite another worker's claim (on SQLite as on PostgreSQL)."""
    stmt = (
        update(Job)
        .where(Job.id == job_id, *guards)
        .values(**values)
        .returning(Job)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    with translate_errors():
        return (await session.execute(stmt)).scalar_one_or_none()


async def _update_leased(session: AsyncSession, job_id: int, worker_id: str, values: dict[str, Any]) -> Job:
    guards = [Job.state == JobState.RUNNING, Job.lease_owner == worker_id]
    job = await _guarded_update(session, job_id, guards, values)
    if job is None:
        await get_job(session, job_id)  # NotFoundError if it is gone altogether
        raise ConflictError(_LEASE_LOST)
    return job


async def extend_lease(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    now: datetime | None = None,
) -> Job:
    """Heartbeat: push the lease expiry forward. `ConflictError` if the lease was lost."""
    now = now_or(now)
    values = {"lease_expires_at": now + timedelta(seconds=lease_s), "updated_at": now}
    return await _update_leased(session, job_id, worker_id, values)


async def complete_job(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    *,
    result_blob: str | None = None,
    result_mime: str | None = None,
    result_meta: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Job:
    """Mark the job done with its result. `ConflictError` if the lease was lost (another worker has it)."""
    now = now_or(now)
    values = {**_done_values(result_blob, result_mime, result_meta, now), **_LET_GO}
    return await _update_leased(session, job_id, worker_id, values)


def _done_values(
    result_blob: str | None, result_mime: str | None, result_meta: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    if result_blob is not None:
        validate_key(result_blob)
    return {
        "state": JobState.DONE,
        "finished_at": now,
        "updated_at": now,
        "result_blob": result_blob,
        "result_mime": result_mime,
        "result_meta": check_json(result_meta, "job result") if result_meta is not None else None,
        "error": None,
    }


async def complete_queued_job(
    session: AsyncSession,
    job_id: int,
    *,
    result_blob: str | None = None,
    result_mime: str | None = None,
    result_meta: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Finish a job that no worker has claimed with a result made earlier (a clip-cache hit).

    One guarded statement: returns None, touching nothing, if the job is no longer queued (a worker claimed
    it meanwhile and reports it itself, or it was cancelled). `NotFoundError` if there is no such job.
    """
    now = now_or(now)
    values = {**_done_values(result_blob, result_mime, result_meta, now), "started_at": now, **_LET_GO}
    job = await _guarded_update(session, job_id, [Job.state == JobState.QUEUED], values)
    if job is None:
        await get_job(session, job_id)
    return job


def backoff_delay(attempts: int, base_s: float, max_s: float) -> float:
    """Exponential backoff: base, 2*base, 4*base, ... capped at max_s."""
    return min(max_s, base_s * 2 ** max(0, attempts - 1))


async def fail_job(
    session: AsyncSession,
    job_id: int,
    worker_id: str,
    error: str,
    *,
    retryable: bool = True,
    backoff_base_s: float = 5.0,
    backoff_max_s: float = 600.0,
    now: datetime | None = None,
) -> Job:
    """Record a failure. Retryable failures with attempts left go back to the queue after a backoff (still
    holding their upload); otherwise the job ends FAILED with `error` (a short message the user may see)
    and its upload is no longer referenced: release the `input_blob` read at claim time."""
    error = clean_text(error, "error", 2000)
    now = now_or(now)
    job = await get_job(session, job_id)
    if job.state is not JobState.RUNNING or job.lease_owner != worker_id:
        raise ConflictError(_LEASE_LOST)
    values: dict[str, Any] = {
        "error": error,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }
    if retryable and job.attempts < job.max_attempts:
        delay = backoff_delay(job.attempts, backoff_base_s, backoff_max_s)
        values.update(state=JobState.QUEUED, available_at=now + timedelta(seconds=delay))
    else:
        values.update(state=JobState.FAILED, finished_at=now, **_LET_GO)
    # The attempts guard makes the decision above void if the job was reclaimed meanwhile.
    return await _update_leased_at(session, job_id, worker_id, job.attempts, values)


async def _update_leased_at(
    session: AsyncSession, job_id: int, worker_id: str, attempts: int, values: dict[str, Any]
) -> Job:
    guards = [Job.state == JobState.RUNNING, Job.lease_owner == worker_id, Job.attempts == attempts]
    job = await _guarded_update(session, job_id, guards, values)
    if job is None:
        raise ConflictError(_LEASE_LOST)
    return job


async def expire_stale_leases(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Requeue RUNNING jobs whose lease ran out (FAILED when out of attempts). Returns how many.

    A job failed here lets go of its upload, which the orphan sweep then removes."""
    now = now_or(now)
    common = {"lease_owner": None, "lease_expires_at": None, "updated_at": now, "error": LOST_WORKER_ERROR}

    # SKIP LOCKED: concurrent claimers each expire what nobody else is touching, never waiting on or
    # deadlocking with each other (ignored by SQLite, where writers are serialised anyway).
    row = aliased(Job)
    expired = select(row.id).where(row.state == JobState.RUNNING, row.lease_expires_at < now)
    retry = expired.where(row.attempts < row.max_attempts).with_for_update(skip_locked=True, of=row)
    give_up = expired.where(row.attempts >= row.max_attempts).with_for_update(skip_locked=True, of=row)
    with translate_errors():
        requeued = await session.execute(
            update(Job)
            .where(Job.id.in_(retry.scalar_subquery()))
            .values(state=JobState.QUEUED, available_at=now, **common)
            .execution_options(synchronize_session=False)
        )
        failed = await session.execute(
            update(Job)
            .where(Job.id.in_(give_up.scalar_subquery()))
            .values(state=JobState.FAILED, finished_at=now, **common, input_blob=None)
            .execution_options(synchronize_session=False)
        )
    return int(requeued.rowcount or 0) + int(failed.rowcount or 0)


async def cancel_job(
    session: AsyncSession, job_id: int, *, user_id: int | None = None, now: datetime | None = None
) -> Job:
    """Cancel a queued or running job (a running worker then gets `ConflictError` when it reports back).

    Its upload is no longer referenced: release the `input_blob` read before, or leave it to the sweep."""
    await get_job(session, job_id, user_id=user_id)
    now = now_or(now)
    values = {"state": JobState.CANCELLED, "finished_at": now, "updated_at": now, **_LET_GO}
    job = await _guarded_update(session, job_id, [Job.state.in_([JobState.QUEUED, JobState.RUNNING])], values)
    if job is None:
        raise ConflictError("That job has already finished.")
    return job


async def purge_finished_jobs(session: AsyncSession, *, finished_before: datetime) -> list[str]:
    """Delete DONE/FAILED/CANCELLED jobs that finished before the given time.

    Returns the blob keys they referenced, to release after commit.
    """
    with translate_errors():
        rows = await session.execute(
            delete(Job)
            .where(Job.state.in_(_FINISHED), Job.finished_at < now_or(finished_before))
            .returning(Job.result_blob, Job.input_blob)
        )
    return sorted({k for row in rows for k in row if k})


async def get_job(session: AsyncSession, job_id: int, *, user_id: int | None = None) -> Job:
    """The job (fresh from the database); with `user_id`, only if it is theirs."""
    with translate_errors():
        job = (
            await session.execute(
                select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
    if job is None or (user_id is not None and job.user_id != user_id):
        raise NotFoundError("That job does not exist (any more).")
    return job


async def list_jobs(
    session: AsyncSession, user_id: int, *, states: list[JobState | str] | None = None, limit: int = 50
) -> list[Job]:
    """A user's jobs, newest first."""
    query = select(Job).where(Job.user_id == user_id)
    if states:
        query = query.where(Job.state.in_([as_enum(JobState, s, "job state") for s in states]))
    with translate_errors():
        rows = await session.execute(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit))
    return list(rows.scalars())


async def queue_depth(session: AsyncSession, *, user_id: int | None = None) -> int:
    """Jobs waiting (QUEUED), in total or for one user."""
    query = select(func.count()).select_from(Job).where(Job.state == JobState.QUEUED)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    with translate_errors():
        return int((await session.execute(query)).scalar_one())


async def count_jobs_by_state(session: AsyncSession, *, user_id: int | None = None) -> dict[JobState, int]:
    """How many jobs are in each state (every state present, zero included)."""
    query = select(Job.state, func.count()).group_by(Job.state)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    with translate_errors():
        rows = (await session.execute(query)).all()
    counts = dict.fromkeys(JobState, 0)
    counts.update({JobState(state): int(n) for state, n in rows})
    return counts


async def queue_position(session: AsyncSession, job_id: int) -> int | None:
    """1-based place of a queued job in the claim order (1: next), or None if it is not queued.

    Simulates the fair claim order over the current queue, assuming no job finishes meanwhile; jobs still
    in backoff are counted as if due, which makes the estimate pessimistic rather than optimistic.
    """
    target = await get_job(session, job_id)
    if target.state is not JobState.QUEUED:
        return None
    with translate_errors():
        queued = (
            await session.execute(
                select(Job.id, Job.user_id, Job.created_at)
                .where(Job.state == JobState.QUEUED)
                .order_by(Job.user_id, Job.created_at, Job.id)
            )
        ).all()
        running = dict(
            (
                await session.execute(
                    select(Job.user_id, func.count())
                    .where(Job.state == JobState.RUNNING)
                    .group_by(Job.user_id)
                )
            ).all()
        )
        last_start = dict(
            (await session.execute(select(Job.user_id, func.max(Job.started_at)).group_by(Job.user_id))).all()
        )
    per_user: dict[int, list[int]] = {}
    head_created: dict[int, datetime] = {}
    for jid, uid, created in queued:
        per_user.setdefault(uid, []).append(jid)
        head_created.setdefault(uid, created)
    # Heap of (running jobs, turn, user): turn orders users by last start (never-started first); each
    # simulated claim gives that user one more running job and the latest turn.
    never = datetime.min.replace(tzinfo=UTC)
    ordered_users = sorted(per_user, key=lambda u: (last_start.get(u) or never, head_created[u], u))
    heap = [(running.get(u, 0), turn, u) for turn, u in enumerate(ordered_users)]
    heapq.heapify(heap)
    next_turn, position = len(heap), 0
    while heap:
        count, _turn, user = heapq.heappop(heap)
        position += 1
        jid = per_user[user].pop(0)
        if jid == job_id:
            return position
        if per_user[user]:
            heapq.heappush(heap, (count + 1, next_turn, user))
            next_turn += 1
    return None
