"""The job queue on SQLite and PostgreSQL: idempotency, leases, retries, fairness, concurrent claimers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from storage.db import Database
from storage.errors import ConflictError, InvalidValueError, NotFoundError
from storage.models import Job, JobState
from storage.repositories import jobs

MakeUser = Callable[..., Awaitable[int]]
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def enqueue(db: Database, user_id: int, n: int, start: float = 0.0, **kw: object) -> list[int]:
    ids = []
    async with db.session() as s:
        for i in range(n):
            result = await jobs.enqueue_job(s, user_id, "render", {"text": f"m{i}"}, now=at(start + i), **kw)  # type: ignore[arg-type]
            ids.append(result.job.id)
    return ids


async def claim(db: Database, worker: str = "w1", now: float = 1000.0, **kw: object) -> Job | None:
    async with db.session() as s:
        return await jobs.claim_next_job(s, worker, now=at(now), **kw)  # type: ignore[arg-type]


async def test_enqueue_is_idempotent_per_user(db: Database, make_user: MakeUser) -> None:
    a, b = await make_user("telegram", 1), await make_user("telegram", 2)
    async with db.session() as s:
        first = await jobs.enqueue_job(s, a, "render", {"text": "hi"}, idempotency_key="msg-1")
        again = await jobs.enqueue_job(s, a, "render", {"text": "hi"}, idempotency_key="msg-1")
        theirs = await jobs.enqueue_job(s, b, "render", {"text": "hi"}, idempotency_key="msg-1")
        assert first.created and not again.created and again.job.id == first.job.id
        assert theirs.created and theirs.job.id != first.job.id
        assert await jobs.queue_depth(s) == 2
        with pytest.raises(InvalidValueError):
            await jobs.enqueue_job(s, a, "render", {"blob": b"bytes are not JSON"})
        with pytest.raises(NotFoundError):
            await jobs.enqueue_job(s, 424242, "render")


async def test_concurrent_enqueue_with_same_key_makes_one_job(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()

    async def submit() -> int:
        async with db.session() as s:
            return (await jobs.enqueue_job(s, uid, "render", idempotency_key="double-tap")).job.id

    ids = await asyncio.gather(*(submit() for _ in range(5)))
    assert len(set(ids)) == 1
    async with db.session() as s:
        assert await jobs.queue_depth(s) == 1


async def test_claim_complete_and_lease_checks(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    [jid] = await enqueue(db, uid, 1)
    job = await claim(db, "w1", lease_s=30)
    assert job is not None and job.id == jid and job.state is JobState.RUNNING and job.attempts == 1
    assert job.lease_owner == "w1" and job.lease_expires_at == at(1030)
    assert await claim(db, "w2") is None
    async with db.session() as s:
        with pytest.raises(ConflictError):
            await jobs.complete_job(s, jid, "w2")
        await jobs.extend_lease(s, jid, "w1", lease_s=60, now=at(1020))
        done = await jobs.complete_job(s, jid, "w1", result_blob="a" * 64, result_mime="video/mp4")
        assert done.state is JobState.DONE and done.lease_owner is None
    async with db.session() as s:
        assert (await jobs.get_job(s, jid)).result_blob == "a" * 64
        with pytest.raises(NotFoundError):
            await jobs.get_job(s, jid, user_id=uid + 1)


async def test_failure_retries_with_backoff_then_fails(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    [jid] = await enqueue(db, uid, 1, max_attempts=2)
    await claim(db, now=100)
    async with db.session() as s:
        job = await jobs.fail_job(s, jid, "w1", "GPU out of memory", now=at(100), backoff_base_s=10)
        assert job.state is JobState.QUEUED and job.available_at == at(110)
    assert await claim(db, now=105) is None  # still backing off
    again = await claim(db, now=111)
    assert again is not None and again.attempts == 2
    async with db.session() as s:
        final = await jobs.fail_job(s, jid, "w1", "GPU out of memory", now=at(112))
        assert final.state is JobState.FAILED and final.error == "GPU out of memory"
    async with db.session() as s:
        counts = await jobs.count_jobs_by_state(s)
        assert counts[JobState.FAILED] == 1 and counts[JobState.QUEUED] == 0 and len(counts) == len(JobState)
    assert jobs.backoff_delay(1, 5, 600) == 5 and jobs.backoff_delay(4, 5, 600) == 40
    assert jobs.backoff_delay(30, 5, 600) == 600


async def test_expired_lease_is_reclaimed(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    [jid] = await enqueue(db, uid, 1)
    crashed = await claim(db, "crashed-worker", now=100, lease_s=30)
    assert crashed is not None
    assert await claim(db, "w2", now=120) is None  # lease still valid
    rescued = await claim(db, "w2", now=131)
    assert rescued is not None and rescued.id == jid and rescued.lease_owner == "w2" and rescued.attempts == 2
    async with db.session() as s:
        # The crashed worker comes back too late: it can neither finish, fail nor extend the job.
        with pytest.raises(ConflictError):
            await jobs.complete_job(s, jid, "crashed-worker")
        with pytest.raises(ConflictError):
            await jobs.fail_job(s, jid, "crashed-worker", "boom")
        with pytest.raises(ConflictError):
            await jobs.extend_lease(s, jid, "crashed-worker")
        await jobs.complete_job(s, jid, "w2")
    async with db.session() as s:
        assert (await jobs.get_job(s, jid)).state is JobState.DONE


async def test_out_of_attempts_expired_lease_fails(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    [jid] = await enqueue(db, uid, 1, max_attempts=1)
    await claim(db, now=100, lease_s=10)
    async with db.session() as s:
        assert await jobs.expire_stale_leases(s, now=at(200)) == 1
        job = await jobs.get_job(s, jid)
        assert job.state is JobState.FAILED and job.error == jobs.LOST_WORKER_ERROR


async def test_claims_are_fair_between_users(db: Database, make_user: MakeUser) -> None:
    busy, quiet, late = (
        await make_user("telegram", 1),
        await make_user("telegram", 2),
        await make_user("discord", 3),
    )
    busy_ids = await enqueue(db, busy, 4, start=0)
    [quiet_id] = await enqueue(db, quiet, 1, start=10)
    [late_id] = await enqueue(db, late, 1, start=20)
    async with db.session() as s:
        predicted = {jid: await jobs.queue_position(s, jid) for jid in [*busy_ids, quiet_id, late_id]}
    order = []
    for step in range(6):  # one worker that finishes each job before taking the next
        job = await claim(db, now=100 + step)
        assert job is not None
        order.append(job.id)
        async with db.session() as s:
            await jobs.complete_job(s, job.id, "w1", now=at(100.5 + step))
    # One user's backlog does not starve the others: they take turns.
    assert order == [busy_ids[0], quiet_id, late_id, busy_ids[1], busy_ids[2], busy_ids[3]]
    assert [predicted[j] for j in order] == [1, 2, 3, 4, 5, 6]


async def test_user_with_fewest_running_jobs_goes_first(db: Database, make_user: MakeUser) -> None:
    a, b = await make_user("telegram", 1), await make_user("telegram", 2)
    a_ids = await enqueue(db, a, 3, start=0)
    [b_id] = await enqueue(db, b, 1, start=5)
    first, second = await claim(db, "w1"), await claim(db, "w2")
    assert (first.id, second.id) == (a_ids[0], b_id)  # type: ignore[union-attr]
    async with db.session() as s:
        assert await jobs.queue_position(s, a_ids[1]) == 1
        assert await jobs.queue_position(s, b_id) is None  # running, not queued
        assert await jobs.queue_depth(s, user_id=a) == 2


async def test_cancel_and_purge(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    cancelled, running = await enqueue(db, uid, 2)
    async with db.session() as s:
        assert (await jobs.cancel_job(s, cancelled, user_id=uid, now=at(50))).state is JobState.CANCELLED
        with pytest.raises(ConflictError):
            await jobs.cancel_job(s, cancelled)
        with pytest.raises(NotFoundError):
            await jobs.cancel_job(s, running, user_id=uid + 1)
    job = await claim(db, now=60)
    assert job is not None and job.id == running
    async with db.session() as s:
        await jobs.complete_job(s, running, "w1", result_blob="b" * 64, now=at(70))
    assert await claim(db) is None
    async with db.session() as s:
        assert await jobs.purge_finished_jobs(s, finished_before=at(60)) == []
        assert await jobs.purge_finished_jobs(s, finished_before=at(100)) == ["b" * 64]
        assert sum((await jobs.count_jobs_by_state(s)).values()) == 0


async def test_concurrent_claimers_never_share_a_job(db: Database, make_user: MakeUser) -> None:
    user_ids = [await make_user("telegram", i) for i in range(5)]
    for n, uid in enumerate(user_ids):
        await enqueue(db, uid, 20, start=n * 0.5)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for _ in range(10):  # a worker that died an hour ago still "holds" ten of them
        async with db.session() as s:
            assert await jobs.claim_next_job(s, "dead", lease_s=60, now=an_hour_ago) is not None
    claimed: list[tuple[str, int]] = []

    async def worker(name: str) -> None:
        while True:
            async with db.session() as s:
                job = await jobs.claim_next_job(s, name, lease_s=300)
            if job is None:
                return
            claimed.append((name, job.id))
            async with db.session() as s:
                await jobs.complete_job(s, job.id, name)

    await asyncio.gather(*(worker(f"w{i}") for i in range(6)))
    ids = [jid for _, jid in claimed]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert len({name for name, _ in claimed}) > 1  # the workers really did interleave
    async with db.session() as s:
        assert (await jobs.count_jobs_by_state(s))[JobState.DONE] == 100


async def test_open_claim_does_not_block_or_repeat_on_postgres(db: Database, make_user: MakeUser) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite has a single writer: a second claimer waits for the first to commit")
    uid, other = await make_user("telegram", 1), await make_user("telegram", 2)
    await enqueue(db, uid, 2)
    await enqueue(db, other, 1, start=5)
    async with db.session() as first:
        a = await jobs.claim_next_job(first, "w1")  # row locked, not yet committed
        async with db.session() as second:
            b = await jobs.claim_next_job(second, "w2")  # SKIP LOCKED: takes the next, without waiting
        assert a is not None and b is not None and a.id != b.id


async def test_cache_hit_completes_a_queued_job_but_never_a_claimed_one(
    db: Database, make_user: MakeUser
) -> None:
    uid = await make_user()
    hit, claimed, cancelled = await enqueue(db, uid, 3)
    result = {"voice": {"blob": "c" * 64, "mime": "audio/ogg"}}
    async with db.session() as s:
        done = await jobs.complete_queued_job(
            s, hit, result_blob="c" * 64, result_mime="audio/ogg", result_meta=result, now=at(10)
        )
        assert done is not None and done.state is JobState.DONE and done.attempts == 0
        assert (done.result_blob, done.result_mime, done.result_meta) == ("c" * 64, "audio/ogg", result)
        assert done.started_at == done.finished_at == at(10)
        # Finished already: a second hit changes nothing.
        assert await jobs.complete_queued_job(s, hit, result_blob="d" * 64, now=at(11)) is None
        assert (await jobs.get_job(s, hit)).result_blob == "c" * 64
        await jobs.cancel_job(s, cancelled, now=at(12))
        assert await jobs.complete_queued_job(s, cancelled, result_blob="c" * 64) is None
        with pytest.raises(NotFoundError):
            await jobs.complete_queued_job(s, 999_999, result_blob="c" * 64)
        with pytest.raises(InvalidValueError):
            await jobs.complete_queued_job(s, claimed, result_blob="not a key")
    job = await claim(db, "w1", now=20)
    assert job is not None and job.id == claimed
    async with db.session() as s:  # the worker has it now: the cache hit comes too late and is dropped
        assert await jobs.complete_queued_job(s, claimed, result_blob="c" * 64) is None
        after = await jobs.get_job(s, claimed)
        assert after.state is JobState.RUNNING and after.lease_owner == "w1" and after.result_blob is None
        await jobs.complete_job(s, claimed, "w1", result_blob="e" * 64, now=at(30))


async def test_a_job_holds_its_upload_until_it_finishes(db: Database, make_user: MakeUser) -> None:
    uid = await make_user()
    upload = "a" * 64
    async with db.session() as s:
        with pytest.raises(InvalidValueError):
            await jobs.enqueue_job(s, uid, "enrol_voice", input_blob="../etc/passwd")
        ids = [
            (await jobs.enqueue_job(s, uid, "enrol_voice", input_blob=upload, now=at(i))).job.id
            for i in range(4)
        ]
    done, failed, expired, cancelled = ids
    for _ in range(3):
        assert await claim(db, "w1", now=100, lease_s=10) is not None
    async with db.session() as s:
        assert (await jobs.complete_job(s, done, "w1", now=at(101))).input_blob is None
        assert (await jobs.fail_job(s, failed, "w1", "bad", retryable=False, now=at(101))).input_blob is None
        assert (await jobs.cancel_job(s, cancelled, now=at(101))).input_blob is None
        await s.execute(update(Job).where(Job.id == expired).values(max_attempts=1))
        assert await jobs.expire_stale_leases(s, now=at(200)) == 1
        gone = await jobs.get_job(s, expired)
        assert gone.state is JobState.FAILED and gone.input_blob is None
