"""The background worker: runs each scheduled job at its interval until told to stop.

Later domains add their jobs to `JOBS` (the outbox sender, consent expiry, renewal notices...).
`channelport worker` runs it as its own process; with the embedded default it runs inside the web
process so that one command is enough.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.auth import purge_stale_auth_rows
from settings import Settings

log = logging.getLogger("channelport.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    run: Callable[[Settings], Awaitable[object]]


JOBS: list[Job] = [
    Job("purge-stale-auth-rows", 3600, purge_stale_auth_rows),
]


async def _run_job_forever(job: Job, settings: Settings, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            result = await job.run(settings)
            log.debug("job %s done: %s", job.name, result)
        except Exception:
            log.exception("job %s failed, will run again in %ss", job.name, job.interval_seconds)
        try:
            await asyncio.wait_for(stop.wait(), timeout=job.interval_seconds)
        except TimeoutError:
            continue


async def run_worker(
    settings: Settings, stop: asyncio.Event, jobs: list[Job] | None = None
) -> None:
    """Run every job on its own schedule until `stop` is set."""
    selected = JOBS if jobs is None else jobs
    log.info("worker started with jobs: %s", ", ".join(job.name for job in selected))
    await asyncio.gather(*(_run_job_forever(job, settings, stop) for job in selected))
    log.info("worker stopped")
