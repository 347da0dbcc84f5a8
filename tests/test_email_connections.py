"""Several SMTP connections per batch (SMTP_CONNECTIONS) against a real aiosmtpd server: each
email arrives exactly once, refusals and dropped connections affect only their own email, and a
worker killed while every connection waits for the server resends nothing the server accepted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import Envelope, Session
from starlette.applications import Starlette

from models.outbox import OutboxEmail, OutboxState
from services.email import deliver_due_emails
from settings import Settings
from tests.email_sink import DROP, SinkBehaviour, SmtpSink, until
from tests.test_email_smtp import queue, sink_settings
from tests.test_email_workers import WorkerProcess, queue_many, workers


async def test_a_batch_is_shared_by_the_connections_and_each_email_arrives_once(
    app: Starlette, database_url: str, tmp_path: Path
):
    with SmtpSink() as sink:
        settings = sink_settings(
            database_url, tmp_path, sink.url, EMAIL_BATCH_SIZE="40", SMTP_CONNECTIONS="4"
        )
        emails = await queue(settings, [f"p{i}@example.test" for i in range(100)])

        report = await deliver_due_emails(settings)

    assert (report.claimed, report.sent) == (100, 100)
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails}
    assert sink.connections() == 12  # 40 + 40 + 20 emails, 4 connections each
    rows = await OutboxEmail.all()
    assert {row.state for row in rows} == {OutboxState.SENT}
    assert {row.attempts for row in rows} == {1}


async def test_refusals_and_a_dropped_connection_affect_only_their_own_email(
    app: Starlette, database_url: str, tmp_path: Path
):
    behaviour = SinkBehaviour(
        rcpt_replies={
            "busy@example.test": "450 4.2.1 Mailbox busy, try later",
            "gone@example.test": "550 5.1.1 No such user",
        },
        data_replies=[DROP],  # whichever connection sends the first DATA loses it
    )
    with SmtpSink(behaviour=behaviour) as sink:
        settings = sink_settings(database_url, tmp_path, sink.url, SMTP_CONNECTIONS="4")
        recipients = [f"ok{i}@example.test" for i in range(20)]
        emails = await queue(settings, [*recipients, "busy@example.test", "gone@example.test"])

        first = await deliver_due_emails(settings)
        assert (first.sent, first.retried, first.bounced) == (19, 2, 1)
        states = {e.recipient: e.state for e in await OutboxEmail.all()}
        assert states["busy@example.test"] is OutboxState.QUEUED
        assert states["gone@example.test"] is OutboxState.BOUNCED
        assert len([r for r in recipients if states[r] is OutboxState.QUEUED]) == 1

        del behaviour.rcpt_replies["busy@example.test"]
        second = await deliver_due_emails(settings)
        assert (second.sent, second.retried) == (2, 0)

    gone = next(e for e in emails if e.recipient == "gone@example.test")
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails if e is not gone}


class _HoldEveryMessageAfter:
    """Accepts `count` messages, then holds every further DATA until the sink is released."""

    def __init__(self, sink: SmtpSink, count: int) -> None:
        self.sink, self.count, self.held = sink, count, 0
        self.default = sink.controller.handler

    async def handle_RCPT(self, *args: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        return await self.default.handle_RCPT(*args)

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        if len(self.sink.messages()) + self.held >= self.count:
            self.held += 1
            await asyncio.to_thread(self.sink.release.wait)
            return "451 4.3.0 Aborted"
        return await self.default.handle_DATA(server, session, envelope)


async def test_a_worker_killed_while_its_connections_wait_resends_nothing_accepted(
    app: Starlette, settings: Settings
):
    with SmtpSink() as sink:
        holder = _HoldEveryMessageAfter(sink, 14)
        sink.controller.handler = holder
        options = {"EMAIL_BATCH_SIZE": "10", "EMAIL_LEASE_SECONDS": "2", "SMTP_CONNECTIONS": "4"}
        doomed = WorkerProcess("doomed", settings, sink.url, **options)
        with workers(doomed):
            message_ids = await queue_many(settings, 30)
            # Every connection of the second batch waits for the server's reply.
            assert await until(lambda: holder.held == 4, seconds=30), doomed.log.read_text()
            doomed.kill()

        assert len(sink.messages()) == 14
        sent = await OutboxEmail.filter(state=OutboxState.SENT)
        assert {r.message_id for r in sent} == set(sink.message_id_counts())

        sink.release.set()
        sink.controller.handler = holder.default
        successor = WorkerProcess("successor", settings, sink.url, **options)
        with workers(successor):
            await until(lambda: len(sink.messages()) >= 30, seconds=30)
            await asyncio.sleep(0.3)

    counts = sink.message_id_counts()
    assert set(counts) == set(message_ids)
    assert max(counts.values()) == 1
    assert await OutboxEmail.filter(state=OutboxState.SENT).count() == 30
