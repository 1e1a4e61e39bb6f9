"""Prometheus text exposition: queue depth, jobs by state, stage latencies, model load state.

Queue and job counts come from the database (so any API process reports the whole system); stage
latencies and loaded models are this process's own (its in-process worker, if it runs one).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

# Upper bounds (seconds) of the latency histogram buckets.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)
        self.total = 0.0
        self.n = 0

    def observe(self, seconds: float) -> None:
        self.n += 1
        self.total += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1


class Metrics:
    """Counters and histograms updated by the worker (from its threads, hence the lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stages: dict[str, Histogram] = {}
        self.jobs_finished: dict[tuple[str, str], int] = {}  # (kind, outcome) -> count
        self.cache_hits = 0
        self.rejected: dict[str, int] = {}  # back-pressure answers: rate_limited (429), busy (503)

    def observe_stage(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.stages.setdefault(stage, Histogram()).observe(seconds)

    def job_finished(self, kind: str, outcome: str) -> None:
        with self._lock:
            key = (kind, outcome)
            self.jobs_finished[key] = self.jobs_finished.get(key, 0) + 1

    def reject(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def cache_hit(self) -> None:
        with self._lock:
            self.cache_hits += 1

    def render(
        self,
        *,
        queue_depth: int,
        jobs_by_state: Mapping[str, int],
        models: Iterable[tuple[str, str, bool]],
    ) -> str:
        """The exposition text. `models`: (kind, name, loaded) for every known engine."""
        out: list[str] = []

        def head(name: str, kind: str, text: str) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")

        head("avatarlab_queue_depth", "gauge", "Jobs waiting to be run.")
        out.append(f"avatarlab_queue_depth {queue_depth}")
        head("avatarlab_jobs", "gauge", "Jobs in the database by state.")
        for state, n in sorted(jobs_by_state.items()):
            out.append(f'avatarlab_jobs{{state="{state}"}} {n}')
        with self._lock:
            head("avatarlab_jobs_finished_total", "counter", "Jobs this process's worker finished.")
            for (kind, outcome), n in sorted(self.jobs_finished.items()):
                out.append(f'avatarlab_jobs_finished_total{{kind="{kind}",outcome="{outcome}"}} {n}')
            head("avatarlab_clip_cache_hits_total", "counter", "Requests served from the clip cache.")
            out.append(f"avatarlab_clip_cache_hits_total {self.cache_hits}")
            head("avatarlab_rejected_total", "counter", "Requests refused by back-pressure (429 or 503).")
            for reason, n in sorted(self.rejected.items()):
                out.append(f'avatarlab_rejected_total{{reason="{reason}"}} {n}')
            head("avatarlab_stage_seconds", "histogram", "Time spent per pipeline stage.")
            for stage, hist in sorted(self.stages.items()):
                for bound, count in zip(BUCKETS, hist.counts, strict=True):
                    le = "+Inf" if bound == float("inf") else f"{bound:g}"
                    out.append(f'avatarlab_stage_seconds_bucket{{stage="{stage}",le="{le}"}} {count}')
                out.append(f'avatarlab_stage_seconds_sum{{stage="{stage}"}} {hist.total:.6f}')
                out.append(f'avatarlab_stage_seconds_count{{stage="{stage}"}} {hist.n}')
        head("avatarlab_model_loaded", "gauge", "Whether an engine's model is loaded in this process.")
        for kind, name, loaded in sorted(models):
            out.append(f'avatarlab_model_loaded{{kind="{kind}",engine="{name}"}} {int(loaded)}')
        return "\n".join(out) + "\n"
