"""Delivery statistics of a group of emails (one partner message, one lead's notifications...)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from models.outbox import EmailEvent, EmailEventKind, OutboxEmail, OutboxState


@dataclass(frozen=True)
class DeliveryStatistics:
    total: int
    queued: int  # waiting or being sent
    sent: int
    failed: int
    bounced: int  # includes emails first accepted and later reported as hard bounces
    suppressed: int
    # Emails with at least one such event (unique per recipient email, not raw event counts).
    opened: int
    clicked: int
    unsubscribed: int


async def delivery_statistics(source: str, reference: str | None = None) -> DeliveryStatistics:
    """Counts of the emails of `source` (and `reference`, if given) by state and by event."""
    emails = OutboxEmail.filter(source=source)
    events = EmailEvent.filter(email__source=source)
    if reference is not None:
        emails = emails.filter(reference=reference)
        events = events.filter(email__reference=reference)
    by_state = {
        row["state"]: row["n"]
        for row in await emails.group_by("state").annotate(n=Count("id")).values("state", "n")
    }
    by_kind = {
        row["kind"]: row["n"]
        for row in await events.group_by("kind")
        .annotate(n=Count("email_id", distinct=True))
        .values("kind", "n")
    }

    def state(name: OutboxState) -> int:
        return int(by_state.get(name, by_state.get(name.value, 0)))

    def kind(name: EmailEventKind) -> int:
        return int(by_kind.get(name, by_kind.get(name.value, 0)))

    return DeliveryStatistics(
        total=sum(int(n) for n in by_state.values()),
        queued=state(OutboxState.QUEUED) + state(OutboxState.SENDING),
        sent=state(OutboxState.SENT),
        failed=state(OutboxState.FAILED),
        bounced=state(OutboxState.BOUNCED),
        suppressed=state(OutboxState.SUPPRESSED),
        opened=kind(EmailEventKind.OPENED),
        clicked=kind(EmailEventKind.CLICKED),
        unsubscribed=kind(EmailEventKind.UNSUBSCRIBED),
    )
