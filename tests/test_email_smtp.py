"""The outbox sender against a real SMTP server (aiosmtpd): what arrives, retries, bounces, TLS.

Every test asserts what the server received and the state of the outbox rows: each email arrives
exactly once or ends bounced/failed, and none is lost.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from models.outbox import (
    EmailCategory,
    EmailEvent,
    EmailEventKind,
    EmailSuppression,
    OutboxEmail,
    OutboxState,
    SuppressionReason,
)
from models.users import User
from services.email import deliver_due_emails, queue_email
from services.email.sender import backoff_seconds, claim_due_emails
from services.email.transport import parse_smtp_url
from settings import ConfigError, Settings
from tests.conftest import count_statements, make_settings, make_user
from tests.email_sink import DROP, SinkBehaviour, SmtpSink, free_port, server_tls_context


def notice(index: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "subject": f"Notice {index}",
        "heading": f"Heading {index}",
        "paragraphs": [f"Paragraph of email {index}."],
        "action_url": None,
        "action_label": "",
        **extra,
    }


async def queue(
    settings: Settings,
    recipients: list[str],
    category: EmailCategory = EmailCategory.TRANSACTIONAL,
    **options: Any,
) -> list[OutboxEmail]:
    async with in_transaction():
        return [
            await queue_email(
                settings,
                to=recipient,
                template="notice",
                context=notice(index),
                source="test",
                category=category,
                **options,
            )
            for index, recipient in enumerate(recipients)
        ]


def sink_settings(database_url: str, tmp_path: Path, sink_url: str, **env: str) -> Settings:
    env.setdefault("EMAIL_RETRY_SECONDS", "0")
    return make_settings(
        database_url,
        tmp_path / "data",
        SMTP_URL=sink_url,
        MAIL_FROM="Vendor Channel Team <channel@vendor.test>",
        **env,
    )


@pytest.fixture
def sink() -> Any:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def smtp_settings(database_url: str, tmp_path: Path, sink: SmtpSink) -> Settings:
    return sink_settings(database_url, tmp_path, sink.url)


async def states() -> dict[str, str]:
    return {e.recipient: e.state.value for e in await OutboxEmail.all()}


async def test_server_receives_each_email_with_its_headers_and_bodies(
    app: Starlette, sink: SmtpSink, smtp_settings: Settings
):
    user = await make_user("fan@partner.test", supplier_emails_opt_in=True)
    async with in_transaction():
        receipt = await queue_email(
            smtp_settings,
            to="Customer@Example.test",
            template="notice",
            context=notice(1, heading="Tom & <Jerry>", action_url="https://vendor.test/a?x=1&y=2",
                           action_label="Open"),
            source="test",
        )  # fmt: skip
        newsletter = await queue_email(
            smtp_settings,
            to=user.email,
            template="notice",
            context=notice(2),
            source="test",
            category=EmailCategory.MARKETING,
            user=user,
        )

    report = await deliver_due_emails(smtp_settings)

    assert report.sent == 2
    received = {item.recipients: item for item in sink.messages()}
    assert set(received) == {("customer@example.test",), ("fan@partner.test",)}
    assert sink.connections() == 2  # one connection per email, up to SMTP_CONNECTIONS

    first = received[("customer@example.test",)]
    assert first.sender == "channel@vendor.test"
    assert first.message_id == receipt.message_id
    assert first.message["From"] == "Vendor Channel Team <channel@vendor.test>"
    assert first.message["To"] == "customer@example.test"
    assert first.message["Subject"] == "Notice 1"
    assert "List-Unsubscribe" not in first.message  # transactional
    assert "Tom & <Jerry>" in first.body("plain")
    assert "https://vendor.test/a?x=1&y=2" in first.body("plain")
    html = first.body("html")
    assert "Tom &amp; &lt;Jerry&gt;" in html
    assert "<Jerry>" not in html
    assert 'href="https://vendor.test/a?x=1&amp;y=2"' in html  # transactional: not tracked
    assert "/email/open/" not in html

    second = received[("fan@partner.test",)]
    assert second.message_id == newsletter.message_id
    assert second.message["List-Unsubscribe"] == f"<{newsletter.headers['List-Unsubscribe'][1:-1]}>"
    assert second.message["List-Unsubscribe"].startswith("<http://portal.test/email/unsubscribe/")
    assert second.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/email/open/" in second.body("html")
    assert "Unsubscribe from these emails: http://portal.test/email/unsubscribe/" in second.body(
        "plain"
    )

    rows = {e.recipient: e for e in await OutboxEmail.all()}
    for row in rows.values():
        assert row.state is OutboxState.SENT
        assert row.attempts == 1
        assert row.sent_at is not None
        assert row.locked_until is None


async def test_a_batch_uses_one_connection(
    app: Starlette, sink: SmtpSink, database_url: str, tmp_path: Path
):
    settings = sink_settings(
        database_url, tmp_path, sink.url, EMAIL_BATCH_SIZE="5", SMTP_CONNECTIONS="1"
    )
    emails = await queue(settings, [f"r{i}@example.test" for i in range(12)])

    report = await deliver_due_emails(settings)

    assert report.sent == 12
    assert sorted(sink.message_id_counts().items()) == sorted((e.message_id, 1) for e in emails)
    assert sink.connections() == 3  # 5 + 5 + 2


async def test_temporary_recipient_refusal_is_retried_and_arrives_once(
    app: Starlette, sink: SmtpSink, smtp_settings: Settings
):
    sink.behaviour.rcpt_replies["busy@example.test"] = "450 4.2.1 Mailbox busy, try later"
    [email] = await queue(smtp_settings, ["busy@example.test"])

    first = await deliver_due_emails(smtp_settings)
    await email.refresh_from_db()
    assert first.retried == 1
    assert email.state is OutboxState.QUEUED
    assert email.attempts == 1
    assert email.last_error.startswith("450")
    assert sink.messages() == []

    del sink.behaviour.rcpt_replies["busy@example.test"]
    await deliver_due_emails(smtp_settings)
    await email.refresh_from_db()
    assert email.state is OutboxState.SENT
    assert email.attempts == 2
    assert sink.message_id_counts() == {email.message_id: 1}


async def test_temporary_data_reply_only_affects_that_email(
    app: Starlette, sink: SmtpSink, database_url: str, tmp_path: Path
):
    # One connection: the first email sent is the one that gets the scripted reply.
    smtp_settings = sink_settings(database_url, tmp_path, sink.url, SMTP_CONNECTIONS="1")
    sink.behaviour.data_replies.append("451 4.3.0 Local error, try again")
    emails = await queue(smtp_settings, ["a@example.test", "b@example.test", "c@example.test"])

    report = await deliver_due_emails(smtp_settings)
    assert (report.sent, report.retried) == (2, 1)
    assert await states() == {
        "a@example.test": "queued",
        "b@example.test": "sent",
        "c@example.test": "sent",
    }

    await deliver_due_emails(smtp_settings)
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails}
    assert set((await states()).values()) == {"sent"}


async def test_permanent_failure_bounces_and_suppresses_marketing_only(
    app: Starlette, sink: SmtpSink, smtp_settings: Settings
):
    sink.behaviour.rcpt_replies["gone@example.test"] = "550 5.1.1 No such user"
    bounced, delivered = await queue(smtp_settings, ["gone@example.test", "ok@example.test"])

    report = await deliver_due_emails(smtp_settings)

    assert (report.sent, report.bounced) == (1, 1)
    await bounced.refresh_from_db()
    assert bounced.state is OutboxState.BOUNCED
    assert bounced.last_error == "550 5.1.1 No such user"
    assert sink.message_id_counts() == {delivered.message_id: 1}
    event = await EmailEvent.get(email_id=bounced.id)
    assert event.kind is EmailEventKind.BOUNCED
    suppression = await EmailSuppression.get(address="gone@example.test")
    assert suppression.reason is SuppressionReason.HARD_BOUNCE

    # The mailbox is fixed. Marketing mail stays suppressed, transactional mail still goes.
    del sink.behaviour.rcpt_replies["gone@example.test"]
    [marketing] = await queue(smtp_settings, ["gone@example.test"], EmailCategory.MARKETING)
    [transactional] = await queue(smtp_settings, ["gone@example.test"])
    assert marketing.state is OutboxState.SUPPRESSED
    await deliver_due_emails(smtp_settings)
    counts = sink.message_id_counts()
    assert counts[transactional.message_id] == 1
    assert marketing.message_id not in counts
    await marketing.refresh_from_db()
    assert marketing.state is OutboxState.SUPPRESSED


async def test_permanent_refusal_of_the_data_bounces(
    app: Starlette, sink: SmtpSink, database_url: str, tmp_path: Path
):
    # One connection: the first email sent is the one that gets the scripted reply.
    smtp_settings = sink_settings(database_url, tmp_path, sink.url, SMTP_CONNECTIONS="1")
    sink.behaviour.data_replies.append("554 5.7.1 Message refused")
    refused, accepted = await queue(smtp_settings, ["x@example.test", "y@example.test"])

    await deliver_due_emails(smtp_settings)

    await refused.refresh_from_db()
    assert refused.state is OutboxState.BOUNCED
    assert sink.message_id_counts() == {accepted.message_id: 1}


async def test_dropped_connection_is_retried_on_a_new_connection(
    app: Starlette, sink: SmtpSink, database_url: str, tmp_path: Path
):
    # One connection, so that the first email is the one whose connection drops.
    smtp_settings = sink_settings(database_url, tmp_path, sink.url, SMTP_CONNECTIONS="1")
    sink.behaviour.data_replies.append(DROP)
    emails = await queue(smtp_settings, [f"d{i}@example.test" for i in range(4)])

    report = await deliver_due_emails(smtp_settings)
    assert (report.sent, report.retried) == (3, 1)
    dropped = await OutboxEmail.get(recipient="d0@example.test")
    assert dropped.state is OutboxState.QUEUED
    assert "Disconnected" in dropped.last_error or "closed" in dropped.last_error.lower()

    await deliver_due_emails(smtp_settings)
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails}


async def test_server_down_then_back_delivers_everything_once(
    app: Starlette, database_url: str, tmp_path: Path
):
    port = free_port()  # nothing listens here yet
    settings = sink_settings(database_url, tmp_path, f"smtp://127.0.0.1:{port}?timeout=5")
    emails = await queue(settings, [f"w{i}@example.test" for i in range(3)])

    report = await deliver_due_emails(settings)
    assert (report.sent, report.retried) == (0, 3)
    for email in await OutboxEmail.all():
        assert email.state is OutboxState.QUEUED
        assert email.attempts == 1
        assert email.last_error

    with SmtpSink(port=port) as sink:
        report = await deliver_due_emails(settings)
        assert report.sent == 3
        assert sink.message_id_counts() == {e.message_id: 1 for e in emails}
    assert set((await states()).values()) == {"sent"}


async def test_retries_back_off_exponentially_then_give_up(
    app: Starlette, database_url: str, tmp_path: Path
):
    settings = sink_settings(
        database_url,
        tmp_path,
        f"smtp://127.0.0.1:{free_port()}",
        EMAIL_RETRY_SECONDS="60",
        EMAIL_MAX_ATTEMPTS="3",
    )
    [email] = await queue(settings, ["later@example.test"])
    assert [backoff_seconds(settings, n) for n in (1, 2, 3)] == [60, 120, 240]

    waits = []
    for _ in range(2):
        before = datetime.now(UTC)
        await deliver_due_emails(settings)
        await email.refresh_from_db()
        assert email.state is OutboxState.QUEUED
        waits.append((email.next_attempt_at - before).total_seconds())
        # Not due yet: another run leaves it alone.
        assert (await deliver_due_emails(settings)).claimed == 0
        await OutboxEmail.filter(id=email.id).update(
            next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)
        )
    assert 59 < waits[0] <= 61
    assert 119 < waits[1] <= 121

    await deliver_due_emails(settings)
    await email.refresh_from_db()
    assert email.state is OutboxState.FAILED
    assert email.attempts == 3
    assert "Connect" in email.last_error or "refused" in email.last_error.lower()


async def test_starttls_and_login(app: Starlette, database_url: str, tmp_path: Path):
    server_tls, cert = server_tls_context(tmp_path)
    with SmtpSink(tls_context=server_tls, credentials=("mailer", "p@ss word")) as sink:
        good = sink_settings(
            database_url,
            tmp_path,
            f"smtp://mailer:{quote('p@ss word', safe='')}@127.0.0.1:{sink.port}"
            f"?starttls=1&cafile={cert}",
        )
        [email] = await queue(good, ["tls@example.test"])
        assert (await deliver_due_emails(good)).sent == 1
        assert sink.message_id_counts() == {email.message_id: 1}
        assert sink.logins == ["mailer"]

        # A wrong password is our problem, not the recipient's: retried, never bounced.
        wrong = sink_settings(
            database_url,
            tmp_path,
            f"smtp://mailer:nope@127.0.0.1:{sink.port}?starttls=1&cafile={cert}",
        )
        [other] = await queue(wrong, ["tls2@example.test"])
        report = await deliver_due_emails(wrong)
        assert (report.sent, report.retried, report.bounced) == (0, 1, 0)
        await other.refresh_from_db()
        assert other.state is OutboxState.QUEUED
        assert other.last_error.startswith("535")
        assert len(sink.messages()) == 1
        assert not await EmailSuppression.exists()


async def test_marketing_is_checked_again_when_sent_transactional_is_not_blocked(
    app: Starlette, sink: SmtpSink, smtp_settings: Settings
):
    user = await make_user("member@partner.test", supplier_emails_opt_in=True)
    [marketing] = await queue(smtp_settings, [user.email], EmailCategory.MARKETING, user=user)
    [transactional] = await queue(smtp_settings, [user.email], user=user)
    [to_suppressed] = await queue(smtp_settings, ["other@example.test"], EmailCategory.MARKETING)
    # Opt-outs that happen after queueing and before sending.
    await User.filter(id=user.id).update(supplier_emails_opt_in=False)
    await EmailSuppression.create(
        address="other@example.test", reason=SuppressionReason.UNSUBSCRIBE
    )

    report = await deliver_due_emails(smtp_settings)

    assert (report.sent, report.suppressed) == (1, 2)
    assert sink.message_id_counts() == {transactional.message_id: 1}
    for email in (marketing, to_suppressed):
        await email.refresh_from_db()
        assert email.state is OutboxState.SUPPRESSED


async def test_a_live_lease_is_respected_and_an_expired_one_taken_over(
    app: Starlette, sink: SmtpSink, smtp_settings: Settings
):
    emails = await queue(smtp_settings, ["l1@example.test", "l2@example.test"])
    # A sender claims the rows and dies before sending them.
    claimed = await claim_due_emails(smtp_settings, "dead-worker#1")
    assert {e.id for e in claimed} == {e.id for e in emails}

    assert (await deliver_due_emails(smtp_settings)).claimed == 0
    assert sink.messages() == []

    await OutboxEmail.filter(locked_by="dead-worker#1").update(
        locked_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    report = await deliver_due_emails(smtp_settings)
    assert report.sent == 2
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails}
    # The dead sender's claim no longer owns them: nothing it would write can apply.
    assert not await OutboxEmail.filter(locked_by="dead-worker#1").exists()


async def test_concurrent_senders_in_one_process_send_each_email_once(
    app: Starlette, sink: SmtpSink, database_url: str, tmp_path: Path
):
    settings = sink_settings(database_url, tmp_path, sink.url, EMAIL_BATCH_SIZE="10")
    emails = await queue(settings, [f"c{i}@example.test" for i in range(120)])

    reports = await asyncio.gather(
        *(deliver_due_emails(settings, worker_id=f"sender-{n}") for n in range(3))
    )

    assert sum(r.sent for r in reports) == 120
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails}


async def test_future_emails_wait_for_their_time(
    app: Starlette, sink: SmtpSink, smtp_settings: Settings
):
    [later] = await queue(
        smtp_settings, ["future@example.test"], send_at=datetime.now(UTC) + timedelta(hours=1)
    )
    assert (await deliver_due_emails(smtp_settings)).claimed == 0
    await OutboxEmail.filter(id=later.id).update(next_attempt_at=datetime.now(UTC))
    assert (await deliver_due_emails(smtp_settings)).sent == 1
    assert sink.message_id_counts() == {later.message_id: 1}


def test_smtp_url_forms():
    assert parse_smtp_url("capture://") is None
    plain = parse_smtp_url("smtp://mail.example.test")
    assert plain is not None
    assert (plain.hostname, plain.port, plain.start_tls, plain.use_tls) == (
        "mail.example.test",
        25,
        False,
        False,
    )
    assert plain.username is None
    submission = parse_smtp_url("smtp://me%40x.test:s%3Acret@mail.example.test?starttls=1")
    assert submission is not None
    assert (submission.port, submission.start_tls) == (587, True)
    assert (submission.username, submission.password) == ("me@x.test", "s:cret")
    implicit = parse_smtp_url("smtps://u:p@mail.example.test?timeout=5")
    assert implicit is not None
    assert (implicit.port, implicit.use_tls, implicit.timeout) == (465, True, 5.0)
    for bad in (
        "smtp://mail.example.test?starttls=maybe",
        "smtp://mail.example.test?colour=blue",
        "smtps://mail.example.test?starttls=1",
        "smtp://?starttls=1",
        "smtp://mail.example.test?timeout=0",
    ):
        with pytest.raises(ConfigError):
            parse_smtp_url(bad)


@pytest.mark.skipif(
    os.environ.get("CHANNELPORT_TEST_DATABASE", "sqlite") == "sqlite",
    reason="row locking is PostgreSQL's (SQLite has one writer at a time)",
)
async def test_postgres_claims_rows_with_for_update_skip_locked(
    app: Starlette, smtp_settings: Settings
):
    await queue(smtp_settings, ["lock@example.test"])
    with count_statements() as statements:
        claimed = await claim_due_emails(smtp_settings, "probe#1")
    assert len(claimed) == 1
    assert any("FOR UPDATE SKIP LOCKED" in statement for statement in statements)


async def test_non_ascii_names_subjects_and_bodies_arrive_intact(
    app: Starlette, sink: SmtpSink, database_url: str, tmp_path: Path
):
    settings = make_settings(
        database_url,
        tmp_path / "data",
        SMTP_URL=sink.url,
        MAIL_FROM="Équipe Vendör <ch@vendor.test>",
    )
    async with in_transaction():
        email = await queue_email(
            settings,
            to="kunde@example.test",
            template="notice",
            context=notice(0, subject="Grüße aus Köln ✓", heading="Café",
                           paragraphs=["Prüfen Sie bitte — danke."]),
            source="test",
            category=EmailCategory.MARKETING,
        )  # fmt: skip

    await deliver_due_emails(settings)

    [received] = sink.messages()
    assert received.message_id == email.message_id
    assert received.message["Subject"] == "Grüße aus Köln ✓"
    assert received.message["From"].addresses[0].display_name == "Équipe Vendör"
    assert received.message["From"].addresses[0].addr_spec == "ch@vendor.test"
    assert "Prüfen Sie bitte — danke." in received.body("plain")
    assert "<h1" in received.body("html")
    assert "Café" in received.body("html")


async def test_implicit_tls(app: Starlette, database_url: str, tmp_path: Path):
    server_tls, cert = server_tls_context(tmp_path)
    with SmtpSink(implicit_tls=server_tls) as sink:
        settings = sink_settings(
            database_url, tmp_path, f"smtps://127.0.0.1:{sink.port}?cafile={cert}"
        )
        [email] = await queue(settings, ["tls@example.test"])
        assert (await deliver_due_emails(settings)).sent == 1
        assert sink.message_id_counts() == {email.message_id: 1}

        # A certificate we do not trust: never sent in clear, retried later.
        untrusted = sink_settings(database_url, tmp_path, f"smtps://127.0.0.1:{sink.port}")
        [other] = await queue(untrusted, ["tls2@example.test"])
        assert (await deliver_due_emails(untrusted)).retried == 1
        await other.refresh_from_db()
        assert other.state is OutboxState.QUEUED
        assert "CERTIFICATE_VERIFY_FAILED" in other.last_error
        assert len(sink.messages()) == 1


async def test_a_server_that_stops_answering_times_out_and_is_retried(
    app: Starlette, database_url: str, tmp_path: Path
):
    # The server holds the first message without answering, longer than the client waits.
    with SmtpSink(behaviour=SinkBehaviour(hold_after=0)) as sink:
        settings = sink_settings(
            database_url, tmp_path, f"{sink.url}?timeout=0.5", SMTP_CONNECTIONS="1"
        )
        emails = await queue(settings, ["slow@example.test", "next@example.test"])

        report = await deliver_due_emails(settings)
        assert (report.sent, report.retried) == (1, 1)
        held = await OutboxEmail.get(recipient="slow@example.test")
        assert held.state is OutboxState.QUEUED
        assert "Timed out" in held.last_error
        sink.release.set()

        assert (await deliver_due_emails(settings)).sent == 1
        assert sink.message_id_counts() == {e.message_id: 1 for e in emails}


async def test_the_lease_is_renewed_while_a_slow_batch_is_sent(
    app: Starlette, database_url: str, tmp_path: Path
):
    with SmtpSink(behaviour=SinkBehaviour(delay_seconds=0.15)) as sink:
        settings = sink_settings(database_url, tmp_path, sink.url, EMAIL_LEASE_SECONDS="1")
        emails = await queue(settings, [f"s{i}@example.test" for i in range(10)])

        async def latecomer() -> int:
            await asyncio.sleep(1.3)  # the first claim's lease would have run out by now
            return (await deliver_due_emails(settings, worker_id="latecomer")).claimed

        first, taken_over = await asyncio.gather(
            deliver_due_emails(settings, worker_id="slow"), latecomer()
        )

    assert first.sent == 10
    assert taken_over == 0
    assert sink.message_id_counts() == {e.message_id: 1 for e in emails}
