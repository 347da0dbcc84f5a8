"""Worker processes (`python -m cli worker`) against a real SMTP server: several workers on
PostgreSQL never send an email twice, and a worker killed mid-batch loses and repeats nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from models.outbox import OutboxEmail, OutboxState
from services.email import queue_email
from settings import Settings
from tests.email_sink import SinkBehaviour, SmtpSink, until

REPOSITORY = Path(__file__).resolve().parent.parent
ON_POSTGRES = os.environ.get("CHANNELPORT_TEST_DATABASE", "sqlite") != "sqlite"

pytestmark = pytest.mark.slow


class WorkerProcess:
    """`python -m cli worker` with its own environment; its log goes to a file."""

    def __init__(self, name: str, settings: Settings, smtp_url: str, **env: str) -> None:
        self.log = settings.data_dir / f"{name}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "CHANNELPORT_DATA_DIR": str(settings.data_dir),
            "SECRET_KEY": settings.secret_key,
            "SMTP_URL": smtp_url,
            "PUBLIC_URL": settings.public_url,
            "LOG_LEVEL": "INFO",
            **env,
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "worker"],
                cwd=REPOSITORY,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_started(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "worker started" in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.05)
        raise AssertionError(f"the worker did not start: {self.log.read_text()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def workers(*processes: WorkerProcess) -> Iterator[None]:
    try:
        for process in processes:
            process.wait_until_started()
        yield
    finally:
        for process in processes:
            process.stop()


async def queue_many(settings: Settings, count: int) -> list[str]:
    async with in_transaction():
        emails = [
            await queue_email(
                settings,
                to=f"recipient{index}@example.test",
                template="notice",
                context={
                    "subject": f"Email {index}",
                    "heading": "Hello",
                    "paragraphs": [f"Email number {index}."],
                    "action_url": None,
                    "action_label": "",
                },
                source="test",
            )
            for index in range(count)
        ]
    return [email.message_id for email in emails]


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent workers need PostgreSQL row locking")
async def test_two_worker_processes_send_1000_emails_exactly_once(
    app: Starlette, settings: Settings
):
    # A slightly slow server, so that one worker alone cannot drain the queue before the other
    # wakes up: both take part.
    with SmtpSink(behaviour=SinkBehaviour(delay_seconds=0.002)) as sink:
        first = WorkerProcess("worker-1", settings, sink.url, EMAIL_BATCH_SIZE="25")
        second = WorkerProcess("worker-2", settings, sink.url, EMAIL_BATCH_SIZE="25")
        with workers(first, second):
            message_ids = await queue_many(settings, 1000)
            await until(lambda: len(sink.messages()) >= 1000, seconds=60)
            await asyncio.sleep(0.5)  # anything sent twice would arrive now
            received = sink.messages()

    counts = sink.message_id_counts()
    assert len(received) == 1000
    assert set(counts) == set(message_ids)
    assert max(counts.values()) == 1
    assert await OutboxEmail.filter(state=OutboxState.SENT).count() == 1000
    claimers = {
        claim.split("#")[0] for claim in await OutboxEmail.all().values_list("locked_by", flat=True)
    }
    assert len(claimers) == 2  # both workers sent a share


async def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(
    app: Starlette, settings: Settings
):
    # The server accepts 14 emails, then holds the 15th (the 5th of the second batch of 10)
    # without answering: the worker is killed while it waits for the reply.
    with SmtpSink(behaviour=SinkBehaviour(hold_after=14)) as sink:
        options = {"EMAIL_BATCH_SIZE": "10", "EMAIL_LEASE_SECONDS": "2", "SMTP_CONNECTIONS": "1"}
        doomed = WorkerProcess("doomed", settings, sink.url, **options)
        with workers(doomed):
            message_ids = await queue_many(settings, 30)
            assert await until(sink.held.is_set, seconds=30), doomed.log.read_text()
            doomed.kill()

        # Killed: everything the server accepted is marked sent, nothing is lost.
        assert len(sink.messages()) == 14
        rows = await OutboxEmail.all()
        assert len(rows) == 30
        by_state = {state: [r for r in rows if r.state is state] for state in OutboxState}
        assert len(by_state[OutboxState.SENT]) == 14
        assert {r.message_id for r in by_state[OutboxState.SENT]} == set(sink.message_id_counts())
        assert len(by_state[OutboxState.SENDING]) == 6  # the rest of the killed batch, leased
        assert len(by_state[OutboxState.QUEUED]) == 10

        sink.release.set()
        successor = WorkerProcess("successor", settings, sink.url, **options)
        with workers(successor):
            await until(lambda: len(sink.messages()) >= 30, seconds=30)
            await asyncio.sleep(0.3)

    counts = sink.message_id_counts()
    assert set(counts) == set(message_ids)
    assert max(counts.values()) == 1
    assert await OutboxEmail.filter(state=OutboxState.SENT).count() == 30
