"""The in-process worker: retries of unexpected failures, queue positions in the event stream."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import NotFound
from engine.service.client import EngineClient
from engine.service.housekeeping import sweep
from engine.service.queue import enqueue
from engine.service.refs import job_public_id
from engine.service.schema import Identity
from storage.models import Job
from storage.repositories import users
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
