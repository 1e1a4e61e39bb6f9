"""bots.common.busy_retry: waiting through a busy engine, bounded by the platform's answer window."""

from __future__ import annotations

import time

import pytest

from bots.common.busy_retry import OutOfTime, until_deadline
from engine.errors import Busy, NotFound, RateLimited


async def test_busy_then_ready_returns_the_result_and_tells_once() -> None:
    answers = [Busy(retry_after_s=0.0), RateLimited(retry_after_s=0.0), "done"]
    told: list[str] = []

    async def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def on_busy(exc: Exception) -> None:
        told.append(type(exc).__name__)

    assert await until_deadline(call, time.monotonic() + 10, on_busy=on_busy) == "done"
    assert told == ["Busy"]


async def test_a_deadline_that_a_wait_would_pass_gives_up_at_once() -> None:
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        raise Busy(retry_after_s=30.0)

    with pytest.raises(OutOfTime) as raised:
        await until_deadline(call, time.monotonic() + 1.0)
    assert calls == 1
    assert "couldn't" in raised.value.message


async def test_a_call_that_outlives_the_deadline_is_cancelled() -> None:
    import asyncio

    async def call() -> None:
        await asyncio.sleep(30)

    with pytest.raises(OutOfTime):
        await until_deadline(call, time.monotonic() + 0.2)


async def test_other_errors_pass_through() -> None:
    async def call() -> None:
        raise NotFound("gone")

    with pytest.raises(NotFound):
        await until_deadline(call, time.monotonic() + 5)
