"""Queueing an email: the transactional outbox.

`queue_email` MUST be called inside the caller's database transaction, the one that makes the
change the email is about (a lead registered, a message sent):

    async with in_transaction():
        lead = await Lead.create(...)
        await queue_email(settings, to=..., template="consent_request", context={...},
                          source="consent_request", reference=f"lead:{lead.id}")

The outbox row is written with that transaction's connection, so a rollback removes the email
together with the change, and a commit makes both visible at once. The outbox sender delivers it
afterwards (services/email/sender.py). Calling it outside a transaction raises `RuntimeError`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from models.outbox import EmailCategory, OutboxEmail, OutboxState
from models.users import User
from services.email.rendering import add_open_pixel, render_email, rewrite_links
from services.email.suppression import marketing_is_blocked, normalise_address
from services.email.tracking import click_url, is_own_link, open_pixel_url, unsubscribe_url
from services.email.wakeup import wake_sender
from services.platform.errors import ValidationFailed
from services.platform.validation import email_problem
from settings import Settings

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
MAX_SUBJECT_LENGTH = 500


def is_valid_address(address: str) -> bool:
    """A deliverable address: the one validation layer's syntax, and no display-name syntax."""
    return email_problem(address) is None and bool(_ADDRESS.match(address))


def mail_domain(settings: Settings) -> str:
    """The domain of MAIL_FROM, used in Message-IDs."""
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "channelport.local"


def envelope_sender(settings: Settings) -> str:
    """The bare address of MAIL_FROM, used as the SMTP envelope sender (MAIL FROM)."""
    return parseaddr(settings.mail_from)[1]


def _require_transaction() -> None:
    if not isinstance(connections.get("default"), TransactionalDBClient):
        raise RuntimeError(
            "queue_email must be called inside the caller's transaction "
            "(async with in_transaction(): ...), so that a rollback removes the email too."
        )


async def queue_email(
    settings: Settings,
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    source: str,
    category: EmailCategory = EmailCategory.TRANSACTIONAL,
    reference: str | None = None,
    user: User | int | None = None,
    dedupe_key: str | None = None,
    send_at: datetime | None = None,
    track: bool | None = None,
) -> OutboxEmail:
    """Render `template` for one recipient and write it to the outbox in the current transaction.

    - `source` names what produced the email (`consent_request`, `partner_message`, ...) and
      `reference` optionally the row it belongs to (`message:12`), for statistics and look-ups.
    - `user` links the email to a portal user (per-recipient statistics, Supplier Emails opt-out).
    - `dedupe_key`: if an email with this key exists, it is returned and nothing new is queued.
    - `send_at`: not before this time (default: now).
    - `track`: open pixel and click tracking; by default on for marketing, off for transactional.

    Marketing mail to a suppressed address, or to a user who has Supplier Emails off, is written
    in state `suppressed` and never sent. Transactional mail is never blocked by opt-outs.
    Raises `ValidationFailed` for a recipient that is not an email address.
    """
    _require_transaction()
    recipient = normalise_address(to)
    if not is_valid_address(recipient):
        raise ValidationFailed([("to", f"{to!r} is not a valid email address.")])
    if dedupe_key is not None:
        existing = await OutboxEmail.get_or_none(dedupe_key=dedupe_key)
        if existing is not None:
            return existing
    user_id = user.id if isinstance(user, User) else user
    marketing = category is EmailCategory.MARKETING
    tracked = marketing if track is None else track

    uid = uuid.uuid4()
    unsubscribe = unsubscribe_url(settings, uid) if marketing else None
    rendered = render_email(
        template,
        {
            **context,
            "recipient": recipient,
            "category": category.value,
            "unsubscribe_url": unsubscribe,
        },
    )
    if not rendered.subject:
        raise ValueError(f"Email template {template!r} rendered an empty subject")
    html_body = rendered.html
    if tracked:
        html_body = rewrite_links(
            html_body,
            lambda url: click_url(settings, uid, url),
            lambda url: is_own_link(settings, url),
        )
        html_body = add_open_pixel(html_body, open_pixel_url(settings, uid))
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe is not None:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    state = OutboxState.QUEUED
    last_error = ""
    if marketing and await marketing_is_blocked(recipient, user_id):
        state = OutboxState.SUPPRESSED
        last_error = "The recipient opted out of marketing email."
    email = await OutboxEmail.create(
        uid=uid,
        message_id=f"<{uid.hex}@{mail_domain(settings)}>",
        category=category,
        source=source,
        reference=reference,
        dedupe_key=dedupe_key,
        recipient=recipient,
        user_id=user_id,
        sender=settings.mail_from,
        subject=rendered.subject[:MAX_SUBJECT_LENGTH],
        text_body=rendered.text,
        html_body=html_body,
        headers=headers,
        state=state,
        last_error=last_error,
        next_attempt_at=send_at or datetime.now(UTC),
    )
    if state is OutboxState.QUEUED:
        wake_sender()
    return email
