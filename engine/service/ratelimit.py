"""Per-person rate limits: at most N new jobs per rolling minute, so one busy sender cannot flood the queue.

Kept in memory per API process: with several API processes behind a balancer each enforces its own
share, which bounds a sender to N × processes per minute.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from engine.errors import RateLimited

WINDOW_S = 60.0
MESSAGE = "That's a lot of messages at once. Please wait {seconds} before sending the next one."


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str) -> None:
        """Count one request for `key`; RateLimited (with Retry-After) once the minute's budget is spent."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW_S:
            hits.popleft()
        if len(hits) >= self.per_minute:
            wait = max(1, math.ceil(hits[0] + WINDOW_S - now))
            raise RateLimited(MESSAGE.format(seconds=_seconds(wait)), retry_after_s=wait)
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle senders so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - WINDOW_S}


def _seconds(n: int) -> str:
    return "a second" if n == 1 else f"{n} seconds"
