"""Fixtures for the engine service: a real server on a free 127.0.0.1 port with its own database.

Imported by tests/engine/service (via conftest.py) and by tests/e2e/test_service_*.py.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from engine.config import Settings
from engine.service.client import EngineClient
from engine.service.context import ServiceOptions
from engine.service.runner import RunningService, running_service
from engine.service.schema import Identity

TOKENS = {"telegram": "tg-" + "t" * 30, "discord": "dc-" + "d" * 30}
PG_ADMIN_DSN = os.environ.get("AVATARLAB_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
FAST = ServiceOptions(
    video_size=128, fps=12, poll_interval_s=0.05, lease_s=30.0, backoff_base_s=0.2, shutdown_grace_s=10.0
)


def make_settings(data_dir: Path, **changes: object) -> Settings:
    base = Settings(
        data_dir=data_dir,
        api_tokens=",".join(f"{k}={v}" for k, v in TOKENS.items()),
        queue_limit=50,
        rate_limit_per_minute=100,
    )
    return base.replace(**changes)


StartService = Callable[..., Awaitable[RunningService]]


@pytest.fixture
async def start_service(tmp_path: Path) -> AsyncIterator[StartService]:
    """`await start_service(with_worker=..., options=..., **settings)` → a running service, stopped after."""
    started: list[tuple[RunningService, object]] = []

    async def start(
        *, with_worker: bool = True, options: ServiceOptions = FAST, **changes: object
    ) -> RunningService:
        settings = make_settings(tmp_path / f"data{len(started)}", **changes)
        manager = running_service(
            settings, host="127.0.0.1", port=0, with_worker=with_worker, options=options
        )
        service = await manager.__aenter__()
        started.append((service, manager))
        return service

    yield start
    for _, manager in reversed(started):
        await manager.__aexit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture
async def service(start_service: StartService) -> RunningService:
    return await start_service()


@pytest.fixture
async def client(service: RunningService) -> AsyncIterator[EngineClient]:
    async with EngineClient(service.url, TOKENS["telegram"], max_retries=0) as c:
        yield c


@pytest.fixture
def alice() -> Identity:
    return Identity("telegram", "1001")


async def use_espeak(client: EngineClient, who: Identity) -> None:
    """espeak is the fastest engine: tests that render use it."""
    await client.update_profile(who, engine="espeak")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this session (skipped when no server answers)."""
    import asyncpg

    async def run_sql(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def admin(sql: str) -> None:
        # its own thread and loop: the fixture may be first requested from inside a running test loop
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, run_sql(sql)).result()

    name = f"avatarlab_service_{secrets.token_hex(5)}"
    try:
        admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, TimeoutError) as err:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_DSN} ({type(err).__name__}: {err})")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
