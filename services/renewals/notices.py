"""Renewal notices: the reminder offsets (default 60, 30 and 7 days before the renewal date) and
the job's work, one reminder per customer, renewal date and offset, sent as transactional email
through the outbox to the plan's recipients, whatever marketing opt-outs say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.accounts import Subscription
from models.customers import Customer
from models.enums import CustomerStatus
from models.outbox import EmailCategory
from models.partners import PartnerOrg
from models.renewals import RenewalOwner, RenewalReminder
from services.customers.common import get_account_settings, utcnow
from services.email.outbox import queue_email
from services.platform.errors import ValidationFailed
from services.platform.viewer import Viewer
from services.renewals.service import Recipient, RenewalPlan, renewal_plans
from services.vendor.service import get_vendor_settings
from settings import Settings

MAX_OFFSETS = 6


async def reminder_offsets() -> list[int]:
    settings_row = await get_account_settings()
    offsets = [int(o) for o in settings_row.renewal_reminder_offsets or []]
    return sorted(set(offsets), reverse=True)


async def set_reminder_offsets(viewer: Viewer, offsets: list[int]) -> list[int]:
    viewer.require_vendor_admin()
    if not 1 <= len(offsets) <= MAX_OFFSETS:
        raise ValidationFailed([("offsets", f"Give 1 to {MAX_OFFSETS} offsets.")])
    if any(not 1 <= o <= 365 for o in offsets):
        raise ValidationFailed([("offsets", "Each offset must be 1 to 365 days.")])
    if len(set(offsets)) != len(offsets):
        raise ValidationFailed([("offsets", "Each offset can be given once.")])
    settings_row = await get_account_settings()
    settings_row.renewal_reminder_offsets = sorted(offsets, reverse=True)
    await settings_row.save(update_fields=["renewal_reminder_offsets", "updated_at"])
    return settings_row.renewal_reminder_offsets


def due_offset(days_left: int, offsets: list[int]) -> int | None:
    """The reminder due now: the smallest offset not below the days left (a reminder missed
    while the job was not running is caught up once, older ones are not sent late)."""
    due = [o for o in offsets if days_left <= o]
    return min(due) if due and days_left >= 1 else None


def _notice_context(
    customer: Customer,
    plan: RenewalPlan,
    recipient: Recipient,
    renewal_date: date,
    days_left: int,
    vendor_name: str,
    plan_name: str,
    partner_name: str,
) -> dict[str, object]:
    when = f"{renewal_date.isoformat()} (in {days_left} day{'s' if days_left != 1 else ''})"
    product = f"{vendor_name} subscription" + (f" ({plan_name})" if plan_name else "")
    if plan.owner is RenewalOwner.PARTNER:
        subject = f"Renewal of {customer.name} on {renewal_date.isoformat()}"
        paragraphs = [
            f"The {product} of your customer {customer.name} renews on {when}.",
            "Your organisation owns the renewal communication for this customer: "
            f"{vendor_name} does not contact the customer about it. Please get in touch with "
            "them before the renewal date.",
        ]
    elif recipient.is_copy:
        subject = f"Copy: renewal notice to {customer.name} ({renewal_date.isoformat()})"
        paragraphs = [
            f"{vendor_name} has reminded {customer.name} that their {product} renews on {when}.",
            f"You receive this copy as {partner_name}'s point of contact for renewals.",
        ]
    else:
        subject = f"Your {product} renews on {renewal_date.isoformat()}"
        paragraphs = [
            f"The {product} of {customer.name} renews on {when}.",
            "Nothing needs to be done to continue. If you want to change your plan or "
            f"have questions, contact {partner_name} or {vendor_name}.",
        ]
    return {
        "subject": subject,
        "heading": subject,
        "paragraphs": paragraphs,
        "action_url": None,
        "action_label": "",
        "locale": "en",
    }


@dataclass
class NoticeRun:
    reminders: int = 0
    emails: int = 0
    skipped: int = 0


async def send_renewal_notices(settings: Settings, now: datetime | None = None) -> NoticeRun:
    """Queue the renewal reminders that are due now. Idempotent: a reminder row per customer,
    renewal date and offset is written in the same transaction as its emails, and the unique
    constraint on it makes a second run, or a second worker, skip it."""
    now = now or utcnow()
    offsets = await reminder_offsets()
    run = NoticeRun()
    if not offsets:
        return run
    today = now.date()
    horizon = datetime.combine(
        today + timedelta(days=max(offsets) + 1), datetime.min.time(), tzinfo=now.tzinfo
    )
    customers = list(
        await Customer.filter(
            status=CustomerStatus.ACTIVE, next_renewal_at__gt=now, next_renewal_at__lt=horizon
        ).order_by("id")
    )
    due: list[tuple[Customer, date, int, int]] = []
    for customer in customers:
        assert customer.next_renewal_at is not None
        renewal_date = customer.next_renewal_at.date()
        days_left = (renewal_date - today).days
        offset = due_offset(days_left, offsets)
        if offset is not None:
            due.append((customer, renewal_date, offset, days_left))
    if not due:
        return run
    sent = set(
        await RenewalReminder.filter(customer_id__in=[c.id for c, *_ in due]).values_list(
            "customer_id", "renewal_date", "offset_days"
        )
    )
    due = [d for d in due if (d[0].id, d[1], d[2]) not in sent]
    plans = await renewal_plans([c for c, *_ in due])
    vendor = await get_vendor_settings()
    partners = {
        p.id: p.name
        for p in await PartnerOrg.filter(id__in={c.partner_id for c, *_ in due})  # type: ignore[attr-defined]
    }
    plan_names = dict(
        await Subscription.filter(customer_id__in=[c.id for c, *_ in due]).values_list(
            "customer_id", "plan"
        )
    )
    for customer, renewal_date, offset, days_left in due:
        plan = plans[customer.id]
        if not plan.recipients:
            # Nobody to tell (no contacts yet): not recorded, so that it goes out once someone
            # is there. The missing-contacts attention item asks the partner to add them.
            run.skipped += 1
            continue
        queued = 0
        try:
            async with in_transaction():
                await RenewalReminder.create(
                    customer_id=customer.id,
                    renewal_date=renewal_date,
                    offset_days=offset,
                    owner=plan.owner,
                    recipients=[
                        {"email": r.email, "kinds": [k.value for k in r.kinds], "copy": r.is_copy}
                        for r in plan.recipients
                    ],
                    sent_at=now,
                )
                for recipient in plan.recipients:
                    await queue_email(
                        settings,
                        to=recipient.email,
                        template="notice",
                        context=_notice_context(
                            customer,
                            plan,
                            recipient,
                            renewal_date,
                            days_left,
                            vendor.vendor_name,
                            plan_names.get(customer.id, ""),
                            partners.get(customer.partner_id, ""),  # type: ignore[attr-defined]
                        ),
                        source="renewal_notice",
                        category=EmailCategory.TRANSACTIONAL,
                        reference=f"customer:{customer.id}",
                        user=recipient.user_id,
                        dedupe_key=(
                            f"renewal:{customer.id}:{renewal_date.isoformat()}:{offset}:"
                            f"{recipient.email}"
                        ),
                    )
                    queued += 1
            run.reminders += 1
            run.emails += queued
        except IntegrityError:
            run.skipped += 1  # another worker sent this reminder a moment ago
    return run
