"""Starting and stopping the service: `avatarlab serve` (API + in-process worker) and `avatarlab worker`.

Several API processes and GPU workers can share one PostgreSQL database; the embedded default is one
process with SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.engine import make_url

from engine.config import Settings
from engine.errors import InvalidInput
from engine.service import engines
from engine.service.app import create_app
from engine.service.auth import parse_tokens
from engine.service.context import ServiceContext, ServiceOptions

if TYPE_CHECKING:
    from engine.service.jobs import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartupInfo:
    url: str  # where the API listens ("" for a worker-only process)
    frontends: tuple[str, ...]
    worker_id: str | None
    database: str  # URL without password
    models: tuple[tuple[str, str, bool], ...]  # (kind, engine, loaded)
    device: str


def startup_summary(info: StartupInfo) -> str:
    """One line for the operator: where it listens, which engines are loaded, on which device."""
    loaded = [f"{kind} {name}" for kind, name, is_loaded in info.models if is_loaded]
    available = [f"{kind} {name}" for kind, name, is_loaded in info.models if not is_loaded]
    parts = []
    if info.url:
        fronts = ", ".join(info.frontends) or "none: set AVATARLAB_API_TOKENS"
        parts.append(f"Avatar Lab engine listening on {info.url} (front ends: {fronts})")
    parts.append(f"worker {info.worker_id}" if info.worker_id else "no worker in this process")
    if info.worker_id:
        parts.append(f"engines loaded: {', '.join(loaded) or 'none'}")
        if available:
            parts.append(f"on demand: {', '.join(available)}")
        parts.append(f"device: {info.device}")
    parts.append(f"database: {info.database}")
    return "; ".join(parts)


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class RunningService:
    """A started API (and optionally its worker), for `serve` and for tests."""

    def __init__(self, ctx: ServiceContext, runner: web.AppRunner, url: str, worker: Worker | None) -> None:
        self.ctx, self.runner, self.url, self.worker = ctx, runner, url, worker
        self._stop = asyncio.Event()
        self._worker_task: asyncio.Task[None] | None = None

    def info(self) -> StartupInfo:
        return StartupInfo(
            url=self.url,
            frontends=tuple(sorted(parse_tokens(self.ctx.settings.api_tokens))),
            worker_id=self.worker.id if self.worker else None,
            database=_safe_url(self.ctx.database_url),
            models=tuple(engines.model_states()),
            device=engines.device(),
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._worker_task is not None:
            await self._worker_task
        await self.runner.cleanup()
        await self.ctx.close()


@contextlib.asynccontextmanager
async def running_service(
    settings: Settings,
    *,
    host: str,
    port: int,
    with_worker: bool = True,
    options: ServiceOptions | None = None,
) -> AsyncIterator[RunningService]:
    """Start the API on host:port (0: a free port) and, with_worker, a worker; stop both on exit."""
    parse_tokens(settings.api_tokens)  # a malformed token list stops start-up with its message
    ctx = ServiceContext(settings, options)
    await ctx.prepare()
    runner = web.AppRunner(create_app(ctx), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        await ctx.close()
        raise InvalidInput(f"I can't listen on {host}:{port}: {exc.strerror or exc}.") from exc
    bound = runner.addresses[0]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{bound[1]}"
    # API-only processes never import the pipeline (nor load any model).
    worker = None
    if with_worker:
        from engine.service.jobs import Worker

        worker = Worker(ctx)
    service = RunningService(ctx, runner, url, worker)
    if service.worker is not None:
        service._worker_task = asyncio.create_task(service.worker.run(service._stop))
        await _ready(service.worker, service._worker_task)
    try:
        yield service
    finally:
        await service.stop()


async def _ready(worker: Worker, task: asyncio.Task[None]) -> None:
    waiter = asyncio.ensure_future(worker.ready.wait())
    await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # the worker died while starting: raise its error


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    with_worker: bool = True,
    ready: Callable[[StartupInfo], None] | None = None,
    stop: asyncio.Event | None = None,
    options: ServiceOptions | None = None,
) -> None:
    """Run the API (and a worker) until SIGINT/SIGTERM or `stop` is set."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    async with running_service(
        settings, host=host, port=port, with_worker=with_worker, options=options
    ) as svc:
        if ready is not None:
            ready(svc.info())
        await stop.wait()
        log.info("stopping: finishing the current job")


async def run_worker(
    settings: Settings,
    *,
    worker_id: str | None = None,
    ready: Callable[[StartupInfo], None] | None = None,
    stop: asyncio.Event | None = None,
    options: ServiceOptions | None = None,
) -> None:
    """Run one worker against the shared database until SIGINT/SIGTERM or `stop` is set."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    from engine.service.jobs import Worker

    ctx = ServiceContext(settings, options)
    await ctx.prepare()
    worker = Worker(ctx, worker_id=worker_id)
    try:
        task = asyncio.create_task(worker.run(stop))
        await _ready(worker, task)
        if ready is not None:
            ready(
                StartupInfo(
                    url="",
                    frontends=(),
                    worker_id=worker.id,
                    database=_safe_url(ctx.database_url),
                    models=tuple(engines.model_states()),
                    device=engines.device(),
                )
            )
        await task
    finally:
        await ctx.close()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
