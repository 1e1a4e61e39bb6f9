"""Retention: what the service keeps, and for how long, so disk use and stored personal media stay bounded.

Finished jobs (and the clips only they reference) go after `job_retention_days`: the bots delivered them
long before. Clip-cache entries nobody asked for in `cache_days` go too (a phrase's own clip stays with
the phrase). Blobs no row references any more (e.g. left by a crash mid-upload) are swept after an hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.service.context import ServiceContext
from storage.repositories import blobrefs, clips, jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swept:
    jobs_blobs: int
    cache_blobs: int
    orphan_blobs: int


async def sweep(ctx: ServiceContext, *, now: datetime | None = None) -> Swept:
    now = now or datetime.now(UTC)
    options = ctx.options
    async with ctx.db.session() as s:
        job_keys = await jobs.purge_finished_jobs(
            s, finished_before=now - timedelta(days=options.job_retention_days)
        )
        cache_keys = await clips.evict_clips(s, unused_since=now - timedelta(days=options.cache_days))
    released = await blobrefs.release_blobs(ctx.db, ctx.store, [*job_keys, *cache_keys])
    orphans = await blobrefs.collect_garbage(ctx.db, ctx.store)
    swept = Swept(
        jobs_blobs=len(set(job_keys) & set(released)),
        cache_blobs=len(set(cache_keys) & set(released)),
        orphan_blobs=len(orphans),
    )
    log.info("housekeeping: %s", swept)
    return swept
