"""A real engine service on 127.0.0.1 for the bot's end-to-end tests, tuned to be quick on a CPU
(small, low-frame-rate video; the espeak voice is chosen by the tests through the bot's own menus)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from engine.config import Settings

TOKEN = "tg-" + "e2e" * 10


@asynccontextmanager
async def engine_service(data_dir: Path, port: int = 0) -> AsyncIterator[str]:
    """Start the API and its worker; yields the base URL."""
    from engine.service.context import ServiceOptions
    from engine.service.runner import running_service

    settings = Settings(
        data_dir=data_dir, api_tokens=f"telegram={TOKEN}", queue_limit=50, rate_limit_per_minute=1000
    )
    options = ServiceOptions(video_size=128, fps=12, poll_interval_s=0.05, backoff_base_s=0.2)
    async with running_service(settings, host="127.0.0.1", port=port, options=options) as service:
        yield service.url
