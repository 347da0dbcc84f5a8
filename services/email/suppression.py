"""Opt-outs and bounces: the suppression list, unsubscribing and bounce reports.

An address on the suppression list (hard bounce or unsubscribe) gets no more marketing mail.
Transactional mail (consent requests, lead notifications, renewal notices) is never blocked by it.
A portal user who unsubscribes from a marketing email also has their Supplier Emails preference
turned off. Other domains (the consent ledger) can react to an unsubscribe through
`unsubscribe_listeners`, called inside the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Unsubscribed:
    """What an unsubscribe listener is told: the email whose link was used, and by whom."""

    email: OutboxEmail
    client_address: str
    user_agent: str


# Called inside the unsubscribe transaction, in order, for the first unsubscribe of an email.
unsubscribe_listeners: list[Callable[[Unsubscribed], Awaitable[None]]] = []


def normalise_address(address: str) -> str:
    return address.strip().lower()


async def suppressed_addresses(addresses: Iterable[str]) -> set[str]:
    """The addresses among `addresses` (normalised) that are on the suppression list."""
    wanted = sorted({normalise_address(a) for a in addresses})
    if not wanted:
        return set()
    found = await EmailSuppression.filter(address__in=wanted).values_list("address", flat=True)
    return set(found)


async def opted_out_users(user_ids: Iterable[int]) -> set[int]:
    """The users among `user_ids` who have turned Supplier Emails off (or were never opted in)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    found = await User.filter(id__in=wanted, supplier_emails_opt_in=False).values_list(
        "id", flat=True
    )
    return set(found)


async def marketing_is_blocked(address: str, user_id: int | None) -> bool:
    if await suppressed_addresses([address]):
        return True
    return user_id is not None and bool(await opted_out_users([user_id]))


async def suppress_address(address: str, reason: SuppressionReason, detail: str = "") -> bool:
    """Put `address` on the suppression list; False if it already was (the first reason stays)."""
    _, created = await EmailSuppression.get_or_create(
        address=normalise_address(address), defaults={"reason": reason, "detail": detail[:2000]}
    )
    return created


async def lift_suppression(address: str) -> bool:
    """Take `address` off the suppression list (it opted in again); False if it was not on it."""
    return bool(await EmailSuppression.filter(address=normalise_address(address)).delete())


async def email_by_uid(uid: uuid.UUID) -> OutboxEmail | None:
    return await OutboxEmail.get_or_none(uid=uid)


async def is_unsubscribed(email: OutboxEmail) -> bool:
    return await EmailEvent.exists(email_id=email.id, kind=EmailEventKind.UNSUBSCRIBED)


async def unsubscribe(
    uid: uuid.UUID, client_address: str = "", user_agent: str = ""
) -> OutboxEmail | None:
    """Unsubscribe the recipient of email `uid` from marketing mail. Safe to repeat.

    Records an `unsubscribed` event (once per email), suppresses the address, turns off the
    linked user's Supplier Emails preference and marketing mail to that address still queued
    becomes `suppressed`. Returns None if the email does not exist.
    """
    async with in_transaction():
        email = await OutboxEmail.get_or_none(uid=uid)
        if email is None:
            return None
        if await is_unsubscribed(email):
            return email
        await EmailEvent.create(
            email_id=email.id,
            kind=EmailEventKind.UNSUBSCRIBED,
            client_address=client_address[:64],
            user_agent=user_agent[:300],
        )
        await suppress_address(email.recipient, SuppressionReason.UNSUBSCRIBE)
        user_id: int | None = email.user_id  # type: ignore[attr-defined]
        if user_id is not None:
            await User.filter(id=user_id).update(supplier_emails_opt_in=False)
        await OutboxEmail.filter(
            recipient=email.recipient,
            category=EmailCategory.MARKETING,
            state=OutboxState.QUEUED,
        ).update(state=OutboxState.SUPPRESSED, last_error="The recipient unsubscribed.")
        for listener in unsubscribe_listeners:
            await listener(Unsubscribed(email, client_address, user_agent))
    return email


@dataclass(frozen=True)
class BounceReport:
    """One bounce reported by the mail provider: the address and, if known, the Message-ID."""

    recipient: str
    message_id: str | None = None
    permanent: bool = True
    diagnostic: str = ""


async def record_bounce(report: BounceReport) -> OutboxEmail | None:
    """Apply one bounce report; returns the email it was attributed to, if any.

    A permanent (hard) bounce suppresses the address for marketing mail and marks the email
    `bounced`. A temporary (soft) bounce is only recorded as an event on the email.
    """
    recipient = normalise_address(report.recipient)
    async with in_transaction():
        email: OutboxEmail | None = None
        if report.message_id:
            message_id = report.message_id.strip()
            if not message_id.startswith("<"):
                message_id = f"<{message_id}>"
            email = await OutboxEmail.get_or_none(message_id=message_id, recipient=recipient)
        diagnostic = report.diagnostic[:2000]
        if report.permanent:
            await suppress_address(recipient, SuppressionReason.HARD_BOUNCE, diagnostic)
        if email is not None:
            detail = diagnostic if report.permanent else f"temporary: {diagnostic}"
            await EmailEvent.create(email_id=email.id, kind=EmailEventKind.BOUNCED, detail=detail)
            if report.permanent and email.state is OutboxState.SENT:
                email.state = OutboxState.BOUNCED
                email.last_error = diagnostic
                await email.save(update_fields=["state", "last_error"])
    return email
