"""Durability: worker processes killed with SIGKILL or stopped with SIGTERM mid-job lose no job and
deliver none twice. The API runs in the test; workers are real `python -m engine.service worker`
subprocesses on the same SQLite file (or PostgreSQL database) and blob directory."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.service.client import EngineClient
from engine.service.context import ServiceOptions
from engine.service.runner import RunningService
from engine.service.schema import Identity
from storage.models import ClipCacheEntry, Job
from tests.engine.service.harness import TOKENS, StartService, postgres_url, start_service, use_espeak

__all__ = ["postgres_url", "start_service"]

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]
OPTIONS = ServiceOptions(video_size=128, fps=12, poll_interval_s=0.1, lease_s=2.0, backoff_base_s=0.2)
# Fair order runs one person's jobs oldest first, so the long last message is the one still running when
# the second worker is asked to stop.
TEXTS = [
    "First message.",
    "Second message.",
    "A last and much longer message, " + "and so on, " * 12 + "the end.",
]


def start_worker(service: RunningService, worker_id: str) -> subprocess.Popen[str]:
    settings = service.ctx.settings
    env = {
        **os.environ,
        "AVATARLAB_DATA_DIR": str(settings.data_dir),
        "AVATARLAB_DATABASE_URL": service.ctx.database_url,
        "AVATARLAB_SERVICE_VIDEO_SIZE": str(OPTIONS.video_size),
        "AVATARLAB_SERVICE_FPS": str(OPTIONS.fps),
        "AVATARLAB_SERVICE_LEASE_S": str(OPTIONS.lease_s),
        "AVATARLAB_SERVICE_POLL_INTERVAL_S": str(OPTIONS.poll_interval_s),
        "AVATARLAB_SERVICE_BACKOFF_BASE_S": str(OPTIONS.backoff_base_s),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "engine.service", "worker", "--id", worker_id],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def running_job_of(service: RunningService, worker_id: str, timeout: float = 90.0) -> int:
    """The row id of a job this worker is running (polls the shared database)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with service.ctx.db.session() as s:
            row = (
                await s.execute(select(Job.id).where(Job.lease_owner == worker_id, Job.state == "running"))
            ).scalar_one_or_none()
        if row is not None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker {worker_id} never started a job")


async def last_job_started(service: RunningService, row_id: int, worker_id: str) -> None:
    while True:
        async with service.ctx.db.session() as s:
            job = (
                await s.execute(select(Job).where(Job.id == row_id).execution_options(populate_existing=True))
            ).scalar_one()
        if job.state == "done" or (job.state == "running" and job.lease_owner == worker_id):
            return
        await asyncio.sleep(0.05)


def finish(proc: subprocess.Popen[str], sig: signal.Signals, timeout: float = 60.0) -> tuple[int, str]:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_killed_and_stopped_workers_complete_every_job_exactly_once(
    start_service: StartService, backend: str, request: pytest.FixtureRequest
) -> None:
    changes = {"database_url": request.getfixturevalue("postgres_url")} if backend == "postgresql" else {}
    service = await start_service(with_worker=False, options=OPTIONS, **changes)
    alice = Identity("telegram", "1")
    async with EngineClient(service.url, TOKENS["telegram"], max_retries=0) as client:
        await use_espeak(client, alice)
        jobs = [await client.render(alice, text, idempotency_key=f"k{i}") for i, text in enumerate(TEXTS)]
        assert {j.state for j in jobs} == {"queued"}

        # 1. killed outright in the middle of a job: that job's lease runs out and it is run again
        w1 = start_worker(service, "w1")
        killed_job = await running_job_of(service, "w1")
        code, out1 = finish(w1, signal.SIGKILL)
        assert code == -signal.SIGKILL
        async with service.ctx.db.session() as s:
            # (in the rare case the job finished between our look and the kill, it is not run again)
            killed_mid_job = (await s.get(Job, killed_job)).state != "done"  # type: ignore[union-attr]
        assert "worker w1" in out1 and "device: cpu" in out1  # the start-up summary line

        # 2. a fresh worker resumes everything; asked to stop during the last job, it finishes it first
        w2 = start_worker(service, "w2")
        try:
            await asyncio.wait_for(last_job_started(service, int(jobs[-1].id.split(".")[0]), "w2"), 120)
        finally:
            code, out2 = finish(w2, signal.SIGTERM)
        assert code == 0, out2
        finals = [await client.job(j.id) for j in jobs]

        assert [f.state for f in finals] == ["done"] * len(TEXTS)
        for final in finals:
            assert final.voice is not None and final.video is not None
            assert len(await client.download(final.video)) == final.video.size_bytes
        # the same keys still name the same jobs: nothing was enqueued twice
        again = [await client.render(alice, text, idempotency_key=f"k{i}") for i, text in enumerate(TEXTS)]
        assert [j.id for j in again] == [j.id for j in jobs]

    async with service.ctx.db.session() as s:
        rows = (await s.execute(select(Job).order_by(Job.id))).scalars().all()
        cached = (await s.execute(select(func.count()).select_from(ClipCacheEntry))).scalar_one()
    assert len(rows) == len(TEXTS) and all(r.state == "done" for r in rows)
    attempts = {r.id: r.attempts for r in rows}
    assert attempts[killed_job] == (2 if killed_mid_job else 1)  # again only after w1's lease expired
    assert all(n == 1 for jid, n in attempts.items() if jid != killed_job)
    assert cached == 2 * len(TEXTS)  # one voice and one video clip per message, no duplicates
