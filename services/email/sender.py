"""The outbox sender: claims due emails and hands them to the SMTP server (or the local mailbox).

How a batch goes:

1. Claim up to EMAIL_BATCH_SIZE due rows: `queued` rows whose `next_attempt_at` has come, and
   `sending` rows whose lease ran out (their sender died), in one `UPDATE ... WHERE id IN
   (SELECT ...) RETURNING *` (claims.py); on PostgreSQL the subquery is `FOR UPDATE SKIP
   LOCKED`, so concurrent senders never claim the same row (SQLite runs one writer at a time).
   Each claim gets a unique token in `locked_by` and a lease (`locked_until`,
   EMAIL_LEASE_SECONDS, renewed while the batch runs).
2. Marketing rows whose address is suppressed, or whose user has Supplier Emails off, become
   `suppressed` and are not sent.
3. The others go out over SMTP_CONNECTIONS connections in parallel, each taking the batch's
   next email. Each row is marked `sent` in the database immediately after the server accepted
   it. Meanwhile its connection opens the next email's transaction (MAIL FROM, RCPT TO: nothing
   is delivered by those), but sends its DATA only once the mark is committed; the marks of
   connections that are waiting at the same time are written in one UPDATE. Every update is
   conditional on the claim token, so a sender whose lease was taken over changes nothing.
4. A temporary failure (4xx, refused or dropped connection, timeout) puts the row back in the
   queue with exponential backoff (EMAIL_RETRY_SECONDS x 2^(attempts-1), at most 6 hours) until
   EMAIL_MAX_ATTEMPTS, then `failed`. A permanent failure (5xx) marks it `bounced` and suppresses
   the address for marketing mail.

Crash safety: a sender killed mid-batch loses nothing, its claimed rows stay `sending` until the
lease ends and are then claimed again. Rows the server had accepted are already `sent`, so they
are not sent again. A duplicate remains possible only after a crash or a lost database
connection, and at most one per SMTP connection (so up to SMTP_CONNECTIONS per worker; one with
SMTP_CONNECTIONS=1): the email the server accepted in the instant before its `sent` mark was
committed (or an email whose connection dropped after the data was sent but before the reply). It
carries the same Message-ID both times, which lets mail clients recognise the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from itertools import count

from tortoise.transactions import in_transaction

from models.outbox import (
    EmailCategory,
    EmailEvent,
    EmailEventKind,
    OutboxEmail,
    OutboxState,
    SuppressionReason,
)
from services.email.claims import claim_due_emails, mark_sent
from services.email.mime import build_message
from services.email.outbox import envelope_sender
from services.email.suppression import opted_out_users, suppress_address, suppressed_addresses
from services.email.transport import (
    DeliveryError,
    Outcome,
    Transport,
    classify_failure,
    open_transports,
)
from settings import Settings

log = logging.getLogger("channelport.email")

MAX_BACKOFF_SECONDS = 6 * 3600
# A connection that breaks more than this many times in one batch defers the rest of the batch.
MAX_RECONNECTS_PER_BATCH = 1

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
_claim_numbers = count(1)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    suppressed: int = 0
    # The last batch was full: there may be more due emails.
    more_pending: bool = False

    def add(self, other: DeliveryReport) -> None:
        for field in fields(self):
            if field.name != "more_pending":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        self.more_pending = other.more_pending


def _now() -> datetime:
    return datetime.now(UTC)


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """The wait before the next attempt after `attempts` failed ones (1, 2, ...)."""
    return min(settings.email_retry_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


class _Lease:
    """Keeps the claim's lease from running out while the batch is still being sent."""

    def __init__(self, settings: Settings, claim: str) -> None:
        self.claim = claim
        self.seconds = settings.email_lease_seconds
        self.renewed = time.monotonic()

    async def renew_if_due(self) -> None:
        if time.monotonic() - self.renewed < self.seconds / 3:
            return
        self.renewed = time.monotonic()
        await OutboxEmail.filter(locked_by=self.claim, state=OutboxState.SENDING).update(
            locked_until=_now() + timedelta(seconds=self.seconds)
        )


class _SentMarks:
    """Marks accepted emails `sent`, several in one statement when connections finish together.

    A connection hands its accepted email to `mark` and waits until the mark is committed before
    it takes its next email. The first waiting connection writes the marks of everyone waiting in
    one UPDATE; marks that arrive meanwhile go into the next one. Waiting is what keeps the crash
    guarantee: no connection sends again while its accepted email is unmarked.
    """

    def __init__(self, claim: str) -> None:
        self.claim = claim
        self.waiting: list[tuple[OutboxEmail, asyncio.Future[bool]]] = []
        self.writing = False

    async def mark(self, email: OutboxEmail) -> bool:
        """Mark `email` sent; False if its claim had been taken over (nothing written)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((email, done))
        if self.writing:
            return await done
        self.writing = True
        group: list[tuple[OutboxEmail, asyncio.Future[bool]]] = []
        try:
            while self.waiting:
                group, self.waiting = self.waiting, []
                marked = await self._write([email for email, _ in group])
                for each, pending in group:
                    pending.set_result(each.id in marked)
        except BaseException as error:  # a lost database: every waiting connection stops too
            for _, pending in group + self.waiting:
                if pending is done or pending.done():
                    continue
                if isinstance(error, asyncio.CancelledError):
                    pending.cancel()
                else:
                    pending.set_exception(error)
            self.waiting = []
            raise
        finally:
            self.writing = False
        return done.result()

    async def _write(self, emails: list[OutboxEmail]) -> set[int]:
        """One UPDATE for `emails`, committed on return; the ids it marked."""
        marked = await mark_sent(self.claim, [email.id for email in emails])
        for email in emails:
            if email.id not in marked:
                log.warning("email %s was sent but its claim had been taken over", email.id)
        return marked


async def _mark_failed_attempt(
    settings: Settings, email: OutboxEmail, claim: str, error: DeliveryError, report: DeliveryReport
) -> None:
    attempts = email.attempts + 1
    mine = OutboxEmail.filter(id=email.id, locked_by=claim, state=OutboxState.SENDING)
    if error.outcome is Outcome.BOUNCE:
        async with in_transaction():
            if await mine.update(
                state=OutboxState.BOUNCED,
                attempts=attempts,
                locked_until=None,
                last_error=error.description,
            ):
                await EmailEvent.create(
                    email_id=email.id, kind=EmailEventKind.BOUNCED, detail=error.description
                )
                await suppress_address(
                    email.recipient, SuppressionReason.HARD_BOUNCE, error.description
                )
        report.bounced += 1
        log.info("email %s to %s bounced: %s", email.id, email.recipient, error.description)
        return
    if error.outcome is Outcome.FAIL or attempts >= settings.email_max_attempts:
        await mine.update(
            state=OutboxState.FAILED,
            attempts=attempts,
            locked_until=None,
            last_error=error.description,
        )
        report.failed += 1
        log.warning(
            "email %s to %s failed after %s attempt(s): %s",
            email.id,
            email.recipient,
            attempts,
            error.description,
        )
        return
    await mine.update(
        state=OutboxState.QUEUED,
        attempts=attempts,
        next_attempt_at=_now() + timedelta(seconds=backoff_seconds(settings, attempts)),
        locked_until=None,
        last_error=error.description,
    )
    report.retried += 1


async def _suppress_opted_out(
    emails: list[OutboxEmail], claim: str, report: DeliveryReport
) -> list[OutboxEmail]:
    """Set aside marketing emails to suppressed or opted-out recipients; returns the others."""
    marketing = [e for e in emails if e.category is EmailCategory.MARKETING]
    if not marketing:
        return emails
    blocked_addresses = await suppressed_addresses(e.recipient for e in marketing)
    blocked_users = await opted_out_users(
        e.user_id  # type: ignore[attr-defined]
        for e in marketing
        if e.user_id is not None  # type: ignore[attr-defined]
    )
    blocked_ids = [
        e.id
        for e in marketing
        if e.recipient in blocked_addresses or e.user_id in blocked_users  # type: ignore[attr-defined]
    ]
    if not blocked_ids:
        return emails
    report.suppressed += await OutboxEmail.filter(
        id__in=blocked_ids, locked_by=claim, state=OutboxState.SENDING
    ).update(
        state=OutboxState.SUPPRESSED,
        locked_until=None,
        last_error="The recipient opted out of marketing email.",
    )
    blocked = set(blocked_ids)
    return [e for e in emails if e.id not in blocked]


@dataclass
class _Batch:
    """What the SMTP connections of one batch share: the emails left, and whether to give up."""

    pending: deque[OutboxEmail]
    lease: _Lease
    claim: str
    sender: str
    report: DeliveryReport
    sent_marks: _SentMarks
    # Set once the server cannot be reached: the rest of the batch is deferred.
    unreachable: DeliveryError | None = None


async def _send_over(settings: Settings, transport: Transport, batch: _Batch) -> None:
    """One connection's loop: take the next email of the batch, send it, record the outcome.

    The `sent` mark of an accepted email is written while this connection opens the next
    email's transaction (MAIL FROM, RCPT TO), and the next DATA waits until it is committed:
    at any moment at most one accepted-but-unmarked email exists per connection, and the
    commit overlaps two SMTP round trips instead of adding to them.
    """
    claim, report = batch.claim, batch.report
    reconnects = 0
    marking: asyncio.Task[bool] | None = None

    async def previous_email_marked() -> None:
        nonlocal marking
        if marking is not None:
            task, marking = marking, None
            if await task:
                report.sent += 1

    async def failed(email: OutboxEmail, exc: Exception) -> None:
        nonlocal reconnects
        error = classify_failure(exc)
        if error.connection_lost:
            await transport.close()
            reconnects += 1
            if reconnects > MAX_RECONNECTS_PER_BATCH:
                batch.unreachable = error
        await _mark_failed_attempt(settings, email, claim, error, report)

    try:
        while batch.pending:
            email = batch.pending.popleft()
            await batch.lease.renew_if_due()
            if batch.unreachable is not None:
                await _mark_failed_attempt(settings, email, claim, batch.unreachable, report)
                continue
            try:
                if not transport.connected:
                    await transport.connect()
            except Exception as exc:  # the server cannot be reached: defer the whole batch
                batch.unreachable = classify_failure(exc)
                log.warning("cannot connect to the mail server: %s", batch.unreachable.description)
                await _mark_failed_attempt(settings, email, claim, batch.unreachable, report)
                continue
            try:
                message = build_message(email)
                await transport.begin(email, message, batch.sender)
            except Exception as exc:
                await failed(email, exc)
                continue
            await previous_email_marked()  # before DATA: the server accepts nothing until then
            try:
                await transport.deliver(email, message)
            except Exception as exc:
                await failed(email, exc)
                continue
            marking = asyncio.create_task(batch.sent_marks.mark(email))
        await previous_email_marked()
    finally:
        if marking is not None:  # leaving on an error: let the last mark finish if it can
            with contextlib.suppress(Exception):
                await marking
        await transport.close()


async def _send_batch(
    settings: Settings,
    emails: list[OutboxEmail],
    claim: str,
    transports: list[Transport],
    report: DeliveryReport,
) -> None:
    """Send `emails` over `transports` in parallel, each connection taking the next email."""
    batch = _Batch(
        pending=deque(emails),
        lease=_Lease(settings, claim),
        claim=claim,
        sender=envelope_sender(settings),
        report=report,
        sent_marks=_SentMarks(claim),
    )
    connections = [asyncio.create_task(_send_over(settings, t, batch)) for t in transports]
    try:
        await asyncio.gather(*connections)  # the first error (a lost database) is raised as is
    finally:
        for connection in connections:
            connection.cancel()
        await asyncio.gather(*connections, return_exceptions=True)


async def deliver_due_emails(
    settings: Settings, *, max_batches: int | None = None, worker_id: str = WORKER_ID
) -> DeliveryReport:
    """Send due emails, batch after batch, until none is due (or `max_batches` were sent)."""
    report = DeliveryReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        claim = f"{worker_id}#{next(_claim_numbers)}"
        emails = await claim_due_emails(settings, claim)
        if not emails:
            report.more_pending = False
            break
        batches += 1
        batch = DeliveryReport(claimed=len(emails))
        to_send = await _suppress_opted_out(emails, claim, batch)
        if to_send:
            await _send_batch(settings, to_send, claim, open_transports(settings, to_send), batch)
        batch.more_pending = len(emails) >= settings.email_batch_size
        report.add(batch)
        if not batch.more_pending:
            break
    return report
