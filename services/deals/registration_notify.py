"""Deal-registration emails: to the partner at a decision, before the protection ends, and to the
reviewers when a review is overdue.

`notify_registration_change` is an in-transaction listener of `change_registration` (registered
when this module is imported, see services/deals/registration_listeners.py): approval (by a
reviewer or automatic), rejection with its reason, a request for information with its message, and
an extension granted or declined are emailed to the registration's submitter and its partner's
admins (each once, active users only), through the outbox in the transaction of the change, in
each recipient's language.
The reminder jobs (services/deals/jobs.py) queue theirs with `queue_registration_emails` too.

Links point into the portal (PORTAL_URL/deal-registrations/<global id>); without PORTAL_URL the
emails carry no link. Moments are shown in the review team's time zone (the settings row's).
"""

from __future__ import annotations

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from models.deal_registrations import DealRegistration
from models.enums import Role
from models.outbox import EmailCategory
from models.users import ChannelManagerAssignment, User
from services.deals.registration_events import RegistrationChange, on_registration_change
from services.deals.registration_listeners import process_settings
from services.deals.registration_settings import current_settings
from services.deals.registration_texts import registration_text, text_locale
from services.deals.working_days import zone_of
from services.email.outbox import is_valid_address, queue_email
from services.vendor.service import get_vendor_settings
from settings import Settings

EMAIL_TEMPLATE = "deal_registration"
EMAIL_SOURCE = "deal_registration"

# What each notification says: its subject and paragraphs (text keys; "message" is the reviewer's
# own words, shown as written; a paragraph whose value is empty is left out).
_MESSAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "approved": ("subject_approved", ("body_approved", "protected_until")),
    "auto_approved": ("subject_approved", ("body_auto_approved", "protected_until")),
    "rejected": ("subject_rejected", ("body_rejected", "reason")),
    "info_requested": ("subject_info_requested", ("body_info_requested", "message", "answer_hint")),
    "extension_granted": ("subject_extension_granted", ("body_extension_granted",)),
    "extension_declined": ("subject_extension_declined", ("body_extension_declined",)),
    "expiry": ("subject_expiry", ("body_expiry", "expiry_hint")),
    "expiry_extended": ("subject_expiry", ("body_expiry", "expiry_hint_no_extension")),
    "review_overdue": ("subject_review_overdue", ("body_review_overdue", "review_hint")),
}
# The history kinds that email the partner (an automatic approval may also be recorded as
# "approved" with `auto_approved` set).
PARTNER_NOTIFICATIONS = frozenset(
    {
        "approved",
        "auto_approved",
        "rejected",
        "info_requested",
        "extension_granted",
        "extension_declined",
    }
)
_OPTIONAL = {"reason": "reason", "message": "message"}


def _zone(time_zone: str) -> tuple[ZoneInfo, str]:
    """The team's zone; UTC should the stored name be unknown (an email never fails a change)."""
    try:
        return zone_of(time_zone), time_zone
    except ValueError:
        return ZoneInfo("UTC"), "UTC"


def format_moment(moment: datetime | None, time_zone: str) -> str:
    """`2026-05-01 17:00 (Europe/Amsterdam)`: a moment as the review team reads it."""
    if moment is None:
        return ""
    zone, name = _zone(time_zone)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({name})"


def format_date(moment: datetime | None, time_zone: str) -> str:
    return "" if moment is None else moment.astimezone(_zone(time_zone)[0]).date().isoformat()


def registration_link(settings: Settings, registration_id: int) -> str | None:
    """The registration's page in the portal, or None without PORTAL_URL."""
    if not settings.portal_url:
        return None
    global_id = base64.b64encode(f"DealRegistration:{registration_id}".encode()).decode()
    return f"{settings.portal_url}/deal-registrations/{global_id}"


async def partner_recipients(registration: DealRegistration) -> list[User]:
    """The submitter (while still an active user of the partner) and the partner's active admins,
    each once."""
    wanted = Q(role=Role.PARTNER_ADMIN)
    submitter_id = registration.submitted_by_id  # type: ignore[attr-defined]
    if submitter_id is not None:
        wanted |= Q(id=submitter_id)
    return list(
        await User.filter(
            wanted,
            partner_id=registration.partner_id,  # type: ignore[attr-defined]
            is_active=True,
        ).order_by("id")
    )


async def reviewer_recipients(partner_id: int) -> list[User]:
    """Who reviews the partner's registrations: active vendor admins and the active channel
    managers assigned to the partner."""
    managers = await ChannelManagerAssignment.filter(partner_id=partner_id).values_list(
        "manager_id", flat=True
    )
    return list(
        await User.filter(
            Q(role=Role.VENDOR_ADMIN) | Q(role=Role.CHANNEL_MANAGER, id__in=list(managers)),
            is_active=True,
        ).order_by("id")
    )


def compose(notification: str, locale: str | None, values: dict[str, str]) -> tuple[str, list[str]]:
    """The subject and paragraphs of a notification in the language for `locale`."""
    subject_key, paragraph_keys = _MESSAGES[notification]
    paragraphs = []
    for key in paragraph_keys:
        if key in _OPTIONAL and not values.get(_OPTIONAL[key], "").strip():
            continue
        if key == "message":
            paragraphs.append(values["message"].strip())
        else:
            paragraphs.append(registration_text(locale, key, **values))
    return registration_text(locale, subject_key, **values), paragraphs


async def queue_registration_emails(
    settings: Settings,
    registration: DealRegistration,
    recipients: list[User],
    notification: str,
    values: dict[str, str],
    dedupe: str,
) -> int:
    """Queue one email per recipient, each in their language, in the caller's transaction.
    `dedupe` names the occasion (an event, a reminder): the same occasion never emails a user
    twice. Returns how many were queued."""
    vendor = await get_vendor_settings()
    link = registration_link(settings, registration.id)
    common = {
        "vendor": vendor.vendor_name,
        "company": registration.company_name,
        "reason": "",
        "message": "",
        **values,
    }
    queued = 0
    for user in recipients:
        if not is_valid_address(user.email.strip().lower()):
            continue  # a bad stored address must never undo the change it is about
        subject, paragraphs = compose(notification, user.locale, common)
        await queue_email(
            settings,
            to=user.email,
            template=EMAIL_TEMPLATE,
            context={
                "subject": subject,
                "heading": subject,
                "paragraphs": paragraphs,
                "action_url": link or "",
                "action_label": registration_text(user.locale, "open"),
                "footer": registration_text(user.locale, "footer", recipient=user.email),
                "locale": text_locale(user.locale),
            },
            source=EMAIL_SOURCE,
            category=EmailCategory.TRANSACTIONAL,
            reference=f"deal_registration:{registration.id}",
            user=user.id,
            dedupe_key=f"{dedupe}:user:{user.id}",
        )
        queued += 1
    return queued


async def notify_registration_change(change: RegistrationChange) -> None:
    """Email the partner about a decision on its registration (in the change's transaction)."""
    notification = change.event.kind
    if notification not in PARTNER_NOTIFICATIONS:
        return
    registration = change.registration
    if notification == "approved" and registration.auto_approved:
        notification = "auto_approved"
    time_zone = (await current_settings()).time_zone
    until = format_moment(registration.protected_until, time_zone)
    reason = change.event.reason
    values = {
        "until": until,
        "reason": (reason or registration.rejection_reason) if notification == "rejected" else "",
        "message": (reason or registration.info_request)
        if notification == "info_requested"
        else "",
    }
    await queue_registration_emails(
        process_settings(),
        registration,
        await partner_recipients(registration),
        notification,
        values,
        dedupe=f"deal-registration:event:{change.event.id}",
    )


on_registration_change(notify_registration_change)
