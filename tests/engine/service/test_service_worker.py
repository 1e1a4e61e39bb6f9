"""The in-process worker: retries of unexpected failures, queue positions in the event stream, uploads
that wait long in the queue."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.errors import NotFound
from engine.service.client import EngineClient
from engine.service.housekeeping import sweep
from engine.service.jobs import Worker
from engine.service.queue import enqueue
from engine.service.refs import job_public_id
from engine.service.schema import Identity
from storage.models import Job
from storage.repositories import jobs, profiles, users
from tests.engine.service.harness import FAST, TOKENS, StartService


async def test_unexpected_failures_are_retried_then_reported_kindly(start_service: StartService) -> None:
    options = replace(FAST, max_attempts=3, backoff_base_s=0.05)
    service = await start_service(options=options)
    async with service.ctx.db.session() as s:
        user, _ = await users.get_or_create_user(s, "telegram", "77")
        # a payload no worker can render (as if written by an incompatible older version)
        job, _ = await enqueue(s, user.id, "render", {"spec": {"text": "hi"}}, frontend="telegram")
    service.ctx.queued.notify()
    public = job_public_id(job.id, job.payload["secret"])
    async with EngineClient(service.url, TOKENS["telegram"]) as client:
        final = await asyncio.wait_for(client.wait(public), 60)
    assert final.state == "failed" and final.error is not None
    assert final.error.code == "internal" and "try sending it again" in final.error.message
    async with service.ctx.db.session() as s:
        assert (await s.get(Job, job.id)).attempts == 3  # type: ignore[union-attr]


async def test_event_stream_starts_with_the_place_in_the_queue(start_service: StartService) -> None:
    service = await start_service(with_worker=False)
    async with EngineClient(service.url, TOKENS["telegram"]) as client:
        await client.render(Identity("telegram", "1"), "first")
        second = await client.render(Identity("telegram", "2"), "second")
        events = client.events(second.id)
        first_event = await asyncio.wait_for(anext(events), 10)
        await events.aclose()
    assert first_event.name == "queued" and first_event.data == {"position": 1}


async def test_housekeeping_deletes_old_jobs_and_their_clips(start_service: StartService) -> None:
    service = await start_service()
    async with EngineClient(service.url, TOKENS["telegram"]) as client:
        alice = Identity("telegram", "5")
        await client.update_profile(alice, engine="espeak")
        job = await asyncio.wait_for(
            client.wait((await client.render(alice, "Old news.", output="voice")).id), 60
        )
        assert job.state == "done" and job.voice is not None
        kept = await sweep(service.ctx)  # nothing is old yet
        assert kept.jobs_blobs == kept.cache_blobs == 0
        await client.download(job.voice)
        swept = await sweep(service.ctx, now=datetime.now(UTC) + timedelta(days=40))
        assert swept.jobs_blobs + swept.cache_blobs >= 1
        with pytest.raises(NotFound):
            await client.job(job.id)
    assert not [p for p in service.ctx.store.root.rglob("*") if p.is_file()]


async def test_an_upload_that_waits_hours_for_a_worker_keeps_its_file(
    start_service: StartService, shared_data: Path
) -> None:
    service = await start_service(with_worker=False)  # nobody works the queue yet
    store = service.ctx.store
    sample = (shared_data / "audio" / "LJ001-0002.wav").read_bytes()
    bob = Identity("telegram", "88")
    async with EngineClient(service.url, TOKENS["telegram"]) as client:
        await client.update_profile(bob, engine="espeak")
        await client.grant_consent(bob, "voice_cloning", "You may clone my voice.")
        queued = await client.enrol_voice(bob, sample, "audio/wav")
        key = hashlib.sha256(sample).hexdigest()
        async with service.ctx.db.session() as s:
            [row] = await jobs.list_jobs(s, (await users.find_user_by_identity(s, "telegram", "88")).id)  # type: ignore[union-attr]
        assert row.input_blob == key and "blob" not in row.payload
        then = time.time() - 3 * 3600
        os.utime(store.path(key), (then, then))
        swept = await sweep(service.ctx)  # the orphan sweep spares blobs only for an hour
        assert swept.orphan_blobs == 0 and store.exists(key)

        stop = asyncio.Event()
        worker = Worker(service.ctx)
        running = asyncio.ensure_future(worker.run(stop))
        try:
            service.ctx.queued.notify()
            done = await asyncio.wait_for(client.wait(queued.id), 60)
        finally:
            stop.set()
            await running
        assert done.state == "done", done.error
        assert (await client.profile(bob)).voice.enrolled
    async with service.ctx.db.session() as s:
        user = await users.find_user_by_identity(s, "telegram", "88")
        voice = await profiles.get_active_voice_profile(s, user.id)  # type: ignore[union-attr]
        finished = await jobs.get_job(s, row.id)
    assert voice is not None and voice.reference_audio_blob == key and finished.input_blob is None
    assert (await sweep(service.ctx)).orphan_blobs == 0 and store.get(key) == sample
