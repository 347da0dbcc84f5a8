"""Signed tracking links (open pixel, click redirect, unsubscribe) and recording what they report.

Every link carries the email's `uid` and an HMAC signature made with SECRET_KEY (a different
purpose per kind of link). A click link also signs the target URL, so a forged or altered link is
refused and can never turn Channelport into an open redirect.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit

from models.outbox import EmailEvent, EmailEventKind, OutboxEmail
from services.users.auth import sign_value, unsign_value
from settings import Settings

OPEN_PURPOSE = "email-open"
CLICK_PURPOSE = "email-click"
UNSUBSCRIBE_PURPOSE = "email-unsubscribe"
LINK_PREFIX = "/email/"
MAX_TRACKED_URL_LENGTH = 2000


def _signature(settings: Settings, purpose: str, value: str) -> str:
    return sign_value(settings, purpose, value).rsplit(".", 1)[1]


def _signature_is_valid(settings: Settings, purpose: str, value: str, signature: str) -> bool:
    return unsign_value(settings, purpose, f"{value}.{signature}") == value


def _click_value(uid_hex: str, target: str) -> str:
    return f"{uid_hex} {target}"


def is_trackable_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and len(url) <= MAX_TRACKED_URL_LENGTH
    )


def open_pixel_url(settings: Settings, uid: uuid.UUID) -> str:
    signature = _signature(settings, OPEN_PURPOSE, uid.hex)
    return f"{settings.public_url}{LINK_PREFIX}open/{uid.hex}/{signature}.gif"


def click_url(settings: Settings, uid: uuid.UUID, target: str) -> str:
    signature = _signature(settings, CLICK_PURPOSE, _click_value(uid.hex, target))
    return (
        f"{settings.public_url}{LINK_PREFIX}click/{uid.hex}/{signature}"
        f"?url={quote(target, safe='')}"
    )


def unsubscribe_url(settings: Settings, uid: uuid.UUID) -> str:
    signature = _signature(settings, UNSUBSCRIBE_PURPOSE, uid.hex)
    return f"{settings.public_url}{LINK_PREFIX}unsubscribe/{uid.hex}/{signature}"


def is_own_link(settings: Settings, url: str) -> bool:
    """A link to our own email endpoints (unsubscribe, tracking), never rewritten."""
    return url.startswith(f"{settings.public_url}{LINK_PREFIX}")


def _uid(uid_hex: str) -> uuid.UUID | None:
    if len(uid_hex) != 32:
        return None
    try:
        return uuid.UUID(hex=uid_hex)
    except ValueError:
        return None


def verify_open_link(settings: Settings, uid_hex: str, signature: str) -> uuid.UUID | None:
    uid = _uid(uid_hex)
    if uid is None or not _signature_is_valid(settings, OPEN_PURPOSE, uid.hex, signature):
        return None
    return uid


def verify_click_link(
    settings: Settings, uid_hex: str, signature: str, target: str
) -> uuid.UUID | None:
    uid = _uid(uid_hex)
    if uid is None or not is_trackable_url(target):
        return None
    if not _signature_is_valid(settings, CLICK_PURPOSE, _click_value(uid.hex, target), signature):
        return None
    return uid


def verify_unsubscribe_link(settings: Settings, uid_hex: str, signature: str) -> uuid.UUID | None:
    uid = _uid(uid_hex)
    if uid is None or not _signature_is_valid(settings, UNSUBSCRIBE_PURPOSE, uid.hex, signature):
        return None
    return uid


async def record_event(
    uid: uuid.UUID,
    kind: EmailEventKind,
    detail: str = "",
    client_address: str = "",
    user_agent: str = "",
) -> EmailEvent | None:
    """Record an event of the email `uid`; None when no such email exists (any more)."""
    email = await OutboxEmail.filter(uid=uid).only("id").first()
    if email is None:
        return None
    return await EmailEvent.create(
        email_id=email.id,
        kind=kind,
        detail=detail,
        client_address=client_address[:64],
        user_agent=user_agent[:300],
    )
