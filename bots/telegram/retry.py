"""An in-process retry queue: work that failed because the engine was busy or down is tried again with
exponential backoff instead of being dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from engine.errors import Busy, RateLimited

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


class RetryQueue:
    def __init__(
        self, *, base_delay_s: float = 2.0, max_delay_s: float = 60.0, max_attempts: int = 10
    ) -> None:
        self.base_delay_s, self.max_delay_s, self.max_attempts = base_delay_s, max_delay_s, max_attempts
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def pending(self, key: str) -> bool:
        return key in self._tasks

    def submit(self, key: str, work: Work, give_up: Work, first_delay_s: float | None = None) -> bool:
        """Run `work` again later until it stops raising Busy/RateLimited; `give_up` after max_attempts.

        Returns False (and does nothing) when work with this key is already waiting or the queue is closed.
        """
        if self._closed or key in self._tasks:
            return False
        delay = min(self.max_delay_s, self.base_delay_s if first_delay_s is None else first_delay_s)
        task = asyncio.create_task(self._retry(key, work, give_up, delay), name=f"retry-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._tasks.pop(key, None))
        return True

    async def _retry(self, key: str, work: Work, give_up: Work, delay: float) -> None:
        for attempt in range(1, self.max_attempts + 1):
            await asyncio.sleep(delay)
            try:
                await work()
                return
            except (Busy, RateLimited) as exc:
                backoff = self.base_delay_s * 2**attempt
                delay = min(self.max_delay_s, max(exc.retry_after_s, backoff))
                log.info("retry %s: attempt %d busy, next in %.1f s", key, attempt, delay)
            except Exception:
                log.exception("retry %s failed", key)
                break
        try:
            await give_up()
        except Exception:
            log.exception("retry %s: telling the person failed too", key)

    async def close(self) -> None:
        """Stop waiting work (the process is shutting down)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
