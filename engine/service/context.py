"""What the API and the worker share inside one process: settings, database, blob store, wake-ups, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from storage.blobs import FileBlobStore
from storage.db import Database, is_sqlite
from storage.migrate import upgrade

from engine.config import Settings
from engine.errors import InvalidInput
from engine.service.metrics import Metrics


@dataclass(frozen=True)
class ServiceOptions:
    """Service tuning that Settings does not carry. Environment: AVATARLAB_SERVICE_<FIELD>."""

    video_size: int = 512  # side of rendered videos in pixels
    fps: int = 25
    poll_interval_s: float = 0.25  # how often waiters re-read job rows written by other processes
    lease_s: float = 60.0  # a worker's claim on a job; heartbeats renew it at a third of this
    max_attempts: int = 3
    backoff_base_s: float = 2.0
    shutdown_grace_s: float = 30.0  # how long a stopping worker lets its current job finish
    max_sample_s: float = 300.0  # longest voice sample accepted
    min_sample_s: float = 1.0
    keepalive_s: float = 15.0  # SSE comment lines keep proxies from closing idle streams

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceOptions:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"AVATARLAB_SERVICE_{f.name.upper()}")
            if raw is None:
                continue
            try:
                values[f.name] = int(raw) if f.type == "int" else float(raw)
            except ValueError as exc:
                raise InvalidInput(f"AVATARLAB_SERVICE_{f.name.upper()}={raw!r} is not a number.") from exc
        return cls(**values)  # type: ignore[arg-type]


class Wakeup:
    """In-process notification that some job changed: waiters wake at once instead of at the next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


class JobSignals:
    """Per-job wake-ups within one process: the worker signals a job's id when it changes, and the
    event streams of that job re-read it at once. Other processes' streams notice by polling."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def watch(self, job_id: int) -> asyncio.Event:
        """Arm a wake-up before reading the job, so a change made during the read is not missed."""
        return self._events.setdefault(job_id, asyncio.Event())

    def notify(self, job_id: int) -> None:
        event = self._events.pop(job_id, None)
        if event is not None:
            event.set()

    @staticmethod
    async def wait(event: asyncio.Event, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


class ServiceContext:
    def __init__(self, settings: Settings, options: ServiceOptions | None = None) -> None:
        self.settings = settings
        self.options = options or ServiceOptions.from_env()
        self.database_url = settings.resolved_database_url
        self.db = Database(self.database_url)
        self.store = FileBlobStore(settings.blobs_dir)
        self.signals = JobSignals()  # a job changed state or produced media
        self.queued = Wakeup()  # a job was queued (wakes idle in-process workers)
        self.metrics = Metrics()

    async def prepare(self) -> None:
        """Bring the database schema up to date (creates the embedded SQLite file on first start)."""
        if is_sqlite(self.database_url):
            Path(self.settings.data_dir).mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(upgrade, self.database_url)

    async def close(self) -> None:
        await self.db.dispose()
