"""Renewal ownership and renewal notices (SPEC section 6).

A partner has a default renewal-communication owner for all its customers, the vendor or the
partner, and a partner user as point of contact. A customer can override it: follow the default,
vendor, or partner with a chosen contact. The plan in force decides who is told:

- vendor-owned: the customer's primary, billing and decision-maker contacts, with a copy to the
  partner's point of contact;
- partner-owned: the partner's point of contact only (the partner's active admins when the
  contact left).

The notices job sends one reminder per customer, renewal date and offset (default 60, 30 and
7 days before), as transactional email through the outbox, whatever marketing opt-outs say.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.accounts import Subscription
from models.customers import Customer, CustomerContact
from models.enums import PARTNER_ROLES, ContactRole, CustomerStatus, Role
from models.outbox import EmailCategory
from models.partners import PartnerOrg
from models.renewals import (
    CustomerRenewalOwner,
    PartnerRenewalSettings,
    RenewalOwner,
    RenewalOwnerChoice,
    RenewalReminder,
)
from models.users import User
from services.customers.overview import (
    RENEWAL_CONTACT_ROLES,
    customer_scope,
    get_account_settings,
    utcnow,
    visible_customer,
)
from services.email.outbox import queue_email
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from services.platform.viewer import Viewer
from services.vendor.service import get_vendor_settings
from settings import Settings

MAX_UPCOMING_DAYS = 366
MAX_OFFSETS = 6


class RecipientKind(StrEnum):
    PRIMARY = "primary"
    BILLING = "billing"
    DECISION_MAKER = "decision_maker"
    PARTNER_CONTACT = "partner_contact"


class OwnerSource(StrEnum):
    PARTNER_DEFAULT = "partner_default"
    CUSTOMER_OVERRIDE = "customer_override"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    kinds: tuple[RecipientKind, ...]
    # A copy for the partner of a notice the vendor sends to the customer.
    is_copy: bool
    user_id: int | None = None


@dataclass
class RenewalPlan:
    owner: RenewalOwner
    source: OwnerSource
    contact: User | None
    recipients: list[Recipient] = field(default_factory=list)


@dataclass(frozen=True)
class PartnerRenewalDefault:
    partner_id: int
    owner: RenewalOwner
    contact: User | None


@dataclass(frozen=True)
class CustomerRenewalChoice:
    customer_id: int
    owner: RenewalOwnerChoice
    contact: User | None


# ---- settings ---------------------------------------------------------------------------------


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


async def _partner_contact(partner_id: int, user_id: int | None, field_name: str) -> User | None:
    if user_id is None:
        return None
    user = await User.get_or_none(id=user_id, partner_id=partner_id, is_active=True)
    if user is None or user.role not in PARTNER_ROLES:
        raise ServiceError(
            ErrorCode.NOT_FOUND, "No active user of this partner has this id.", field_name
        )
    return user


async def _contact_of(row: PartnerRenewalSettings | CustomerRenewalOwner) -> User | None:
    """The row's contact user, loaded on its own. Not with select_related: its column aliases
    ("partner_renewal_settings__contact.is_supplier_default_lead_owner") are longer than
    PostgreSQL's 63-character identifiers, which truncates them and loses those fields."""
    contact_id: int | None = row.contact_id  # type: ignore[attr-defined]
    return await User.get_or_none(id=contact_id) if contact_id is not None else None


def _require_renewal_admin(viewer: Viewer, partner_id: int) -> None:
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    # Vendor admins, the partner's channel manager, and the partner's own admins.
    if not viewer.can_manage_partner_users(partner_id):
        raise forbidden("Only a partner admin can set renewal ownership.")


async def partner_renewal_default(viewer: Viewer, partner_id: int) -> PartnerRenewalDefault:
    if not viewer.can_see_partner(partner_id) or not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    row = await PartnerRenewalSettings.get_or_none(partner_id=partner_id)
    if row is None:
        return PartnerRenewalDefault(partner_id, RenewalOwner.VENDOR, None)
    return PartnerRenewalDefault(partner_id, row.default_owner, await _contact_of(row))


async def set_partner_renewal_default(
    viewer: Viewer, partner_id: int, owner: RenewalOwner, contact_user_id: int | None
) -> PartnerRenewalDefault:
    _require_renewal_admin(viewer, partner_id)
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    contact = await _partner_contact(partner_id, contact_user_id, "contactUserId")
    if owner is RenewalOwner.PARTNER and contact is None:
        raise ValidationFailed(
            [("contactUserId", "Choose the partner user who receives the renewal notices.")]
        )
    await PartnerRenewalSettings.update_or_create(
        partner_id=partner_id,
        defaults={"default_owner": owner, "contact_id": contact.id if contact else None},
    )
    return PartnerRenewalDefault(partner_id, owner, contact)


async def customer_renewal_choice(viewer: Viewer, customer_id: int) -> CustomerRenewalChoice:
    customer = await visible_customer(viewer, customer_id)
    row = await CustomerRenewalOwner.get_or_none(customer_id=customer.id)
    if row is None:
        return CustomerRenewalChoice(customer.id, RenewalOwnerChoice.DEFAULT, None)
    return CustomerRenewalChoice(customer.id, row.owner, await _contact_of(row))


async def set_customer_renewal_owner(
    viewer: Viewer, customer_id: int, owner: RenewalOwnerChoice, contact_user_id: int | None
) -> CustomerRenewalChoice:
    customer = await visible_customer(viewer, customer_id)
    partner_id: int = customer.partner_id  # type: ignore[attr-defined]
    _require_renewal_admin(viewer, partner_id)
    contact = await _partner_contact(partner_id, contact_user_id, "contactUserId")
    if owner is RenewalOwnerChoice.PARTNER and contact is None:
        raise ValidationFailed(
            [("contactUserId", "Choose the partner contact for this customer's renewals.")]
        )
    if owner is RenewalOwnerChoice.DEFAULT:
        contact = None
    await CustomerRenewalOwner.update_or_create(
        customer_id=customer.id,
        defaults={"owner": owner, "contact_id": contact.id if contact else None},
    )
    return CustomerRenewalChoice(customer.id, owner, contact)


# ---- the plan in force ------------------------------------------------------------------------


def _usable(user: User | None) -> User | None:
    return user if user is not None and user.is_active else None


async def renewal_plans(customers: list[Customer]) -> dict[int, RenewalPlan]:
    """The owner in force and the exact recipients for each customer, in a fixed number of
    queries whatever the number of customers."""
    if not customers:
        return {}
    customer_ids = [c.id for c in customers]
    partner_ids = sorted({c.partner_id for c in customers})  # type: ignore[attr-defined]
    defaults = {
        row.partner_id: row  # type: ignore[attr-defined]
        for row in await PartnerRenewalSettings.filter(partner_id__in=partner_ids)
    }
    overrides = {
        row.customer_id: row  # type: ignore[attr-defined]
        for row in await CustomerRenewalOwner.filter(customer_id__in=customer_ids)
    }
    contacts: dict[int, dict[ContactRole, CustomerContact]] = defaultdict(dict)
    for contact in await CustomerContact.filter(customer_id__in=customer_ids):
        contacts[contact.customer_id][contact.role] = contact  # type: ignore[attr-defined]
    user_ids = {row.contact_id for row in defaults.values()}  # type: ignore[attr-defined]
    user_ids |= {row.contact_id for row in overrides.values()}  # type: ignore[attr-defined]
    users = {u.id: u for u in await User.filter(id__in=[i for i in user_ids if i])}
    admins: dict[int, list[User]] = defaultdict(list)
    for admin in await User.filter(
        partner_id__in=partner_ids, role=Role.PARTNER_ADMIN, is_active=True
    ).order_by("id"):
        admins[admin.partner_id].append(admin)  # type: ignore[attr-defined]

    plans: dict[int, RenewalPlan] = {}
    for customer in customers:
        partner_id: int = customer.partner_id  # type: ignore[attr-defined]
        default = defaults.get(partner_id)
        default_owner = default.default_owner if default else RenewalOwner.VENDOR
        default_contact = _usable(users.get(default.contact_id)) if default else None  # type: ignore[attr-defined]
        override = overrides.get(customer.id)
        if override is None or override.owner is RenewalOwnerChoice.DEFAULT:
            owner, source, contact = default_owner, OwnerSource.PARTNER_DEFAULT, default_contact
        else:
            owner = RenewalOwner(override.owner.value)
            source = OwnerSource.CUSTOMER_OVERRIDE
            own_contact = _usable(users.get(override.contact_id))  # type: ignore[attr-defined]
            contact = own_contact or default_contact
        plan = RenewalPlan(owner=owner, source=source, contact=contact)
        partner_people = [contact] if contact else admins.get(partner_id, [])
        if owner is RenewalOwner.VENDOR:
            by_address: dict[str, tuple[str, list[RecipientKind]]] = {}
            for role in RENEWAL_CONTACT_ROLES:
                found = contacts[customer.id].get(role)
                if found is None:
                    continue
                _, kinds = by_address.setdefault(found.email, (found.full_name, []))
                kinds.append(RecipientKind(role.value))
            plan.recipients = [
                Recipient(email, name, tuple(kinds), is_copy=False)
                for email, (name, kinds) in by_address.items()
            ]
            if contact is not None:
                plan.recipients.append(
                    Recipient(
                        contact.email,
                        contact.full_name,
                        (RecipientKind.PARTNER_CONTACT,),
                        is_copy=True,
                        user_id=contact.id,
                    )
                )
        else:
            plan.recipients = [
                Recipient(
                    person.email,
                    person.full_name,
                    (RecipientKind.PARTNER_CONTACT,),
                    is_copy=False,
                    user_id=person.id,
                )
                for person in partner_people
            ]
        plans[customer.id] = plan
    return plans


# ---- upcoming renewals ------------------------------------------------------------------------


@dataclass
class UpcomingRenewal:
    customer: Customer
    renewal_at: datetime
    days_left: int
    plan: RenewalPlan
    next_notice_offset: int | None
    next_notice_on: date | None
    notices_sent: list[int]


def _due_offset(days_left: int, offsets: list[int]) -> int | None:
    """The reminder due now: the smallest offset not below the days left (a reminder missed
    while the job was not running is caught up once, older ones are not sent late)."""
    due = [o for o in offsets if days_left <= o]
    return min(due) if due and days_left >= 1 else None


@dataclass
class UpcomingPage:
    rows: list[UpcomingRenewal]
    cursors: list[str]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def _renewal_cursor(customer: Customer) -> str:
    assert customer.next_renewal_at is not None
    raw = json.dumps([customer.next_renewal_at.isoformat(), customer.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_renewal_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, customer_id = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError(moment)
        return when, int(customer_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ServiceError(ErrorCode.INVALID, "This cursor is not valid.", "after") from None


async def upcoming_renewals(
    viewer: Viewer,
    days: int = 90,
    partner_id: int | None = None,
    now: datetime | None = None,
    first: int | None = None,
    after: str | None = None,
) -> UpcomingPage:
    """The viewer's paying customers whose renewal date falls in the next `days` days, soonest
    first, with the owner in force and exactly who will be told (cursor-paginated)."""
    now = now or utcnow()
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise ValidationFailed([("days", f"Choose 1 to {MAX_UPCOMING_DAYS} days.")])
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError(
            ErrorCode.INVALID, f"first must be between 1 and {MAX_PAGE_SIZE}.", "first"
        )
    if partner_id is not None and not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    queryset = Customer.filter(
        await customer_scope(viewer),
        status=CustomerStatus.ACTIVE,
        next_renewal_at__gt=now,
        next_renewal_at__lte=now + timedelta(days=days),
    )
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if after is not None:
        after_at, after_id = _decode_renewal_cursor(after)
        queryset = queryset.filter(
            Q(next_renewal_at__gt=after_at) | Q(next_renewal_at=after_at, id__gt=after_id)
        )
    fetched = list(await queryset.order_by("next_renewal_at", "id").limit(size + 1))
    customers = fetched[:size]
    plans = await renewal_plans(customers)
    offsets = await reminder_offsets()
    sent: dict[tuple[int, date], list[int]] = defaultdict(list)
    for customer_id, renewal_date, offset in await RenewalReminder.filter(
        customer_id__in=[c.id for c in customers]
    ).values_list("customer_id", "renewal_date", "offset_days"):
        sent[(customer_id, renewal_date)].append(offset)
    today = now.date()
    rows: list[UpcomingRenewal] = []
    for customer in customers:
        assert customer.next_renewal_at is not None
        renewal_date = customer.next_renewal_at.date()
        days_left = (renewal_date - today).days
        already = sorted(sent.get((customer.id, renewal_date), []), reverse=True)
        pending = [o for o in offsets if o not in already and o < days_left]
        due = _due_offset(days_left, offsets)
        next_offset: int | None
        if due is not None and due not in already:
            next_offset = due
        else:
            next_offset = max(pending) if pending else None
        rows.append(
            UpcomingRenewal(
                customer=customer,
                renewal_at=customer.next_renewal_at,
                days_left=days_left,
                plan=plans[customer.id],
                next_notice_offset=next_offset,
                next_notice_on=(
                    max(today, renewal_date - timedelta(days=next_offset))
                    if next_offset is not None
                    else None
                ),
                notices_sent=already,
            )
        )
    return UpcomingPage(
        rows=rows,
        cursors=[_renewal_cursor(c) for c in customers],
        has_next_page=len(fetched) > size,
    )


# ---- the notices job --------------------------------------------------------------------------


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
        offset = _due_offset(days_left, offsets)
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


async def run_renewal_notices(settings: Settings) -> NoticeRun:
    """The worker job."""
    return await send_renewal_notices(settings)
