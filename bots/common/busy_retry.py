"""Keep trying an engine call while the engine is busy or unreachable, up to a deadline.

Chat platforms give a bot a limited time to answer (Discord: 15 minutes after an interaction), so a busy
engine should not turn into an error at once: the person's request waits, and is answered when the engine
has room, or with a clear "I couldn't" once the platform's window is about to close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from engine.errors import AvatarLabError, Busy, RateLimited

T = TypeVar("T")

MIN_WAIT_S = 0.5
MAX_WAIT_S = 30.0


class OutOfTime(AvatarLabError):
    """The engine stayed busy until the platform's answer window closed."""

    code = "out_of_time"
    status = 503
    default_message = (
        "I'm sorry: the engine was too busy to make this in time, so I couldn't send it. "
        "Please try again in a few minutes."
    )


async def until_deadline(
    call: Callable[[], Awaitable[T]],
    deadline: float,
    *,
    on_busy: Callable[[AvatarLabError], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`await call()`, retrying on Busy/RateLimited (honouring their retry_after_s) until `deadline`.

    `call` itself must stop by the deadline; it is cancelled when the deadline passes. `on_busy` runs once,
    the first time the engine is busy, so the person can be told that their request is waiting.
    """
    told = False
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            raise OutOfTime()
        try:
            async with asyncio.timeout(remaining):
                return await call()
        except TimeoutError as exc:
            raise OutOfTime() from exc
        except (Busy, RateLimited) as exc:
            if not told and on_busy is not None:
                told = True
                await on_busy(exc)
            wait = min(max(exc.retry_after_s, MIN_WAIT_S), MAX_WAIT_S)
            if clock() + wait >= deadline:
                raise OutOfTime() from exc
            await asyncio.sleep(wait)
