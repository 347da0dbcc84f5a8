"""Attention items: what a customer account needs from its partner (a trial ending soon, an
overdue renewal, missing renewal contacts, no recent activity, a deal past its expected close),
opened while the condition holds and resolved when it clears.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from models.accounts import AttentionItem, AttentionKind, CustomerActivity
from models.customers import Customer, CustomerContact
from models.deals import Deal, DealStatus
from models.enums import ContactRole, CustomerStatus
from services.customers.common import trial_days_left, utcnow

TRIAL_ENDING_NOTICE_DAYS = 7
INACTIVITY_DAYS = 14
REFRESH_BATCH_SIZE = 500
RENEWAL_CONTACT_ROLES = (ContactRole.PRIMARY, ContactRole.BILLING, ContactRole.DECISION_MAKER)


@dataclass(frozen=True)
class AttentionRefresh:
    opened: int
    resolved: int


async def _wanted_attention(
    customers: list[Customer], now: datetime
) -> dict[tuple[int, AttentionKind, str], str]:
    """The attention items each customer should have open now: (customer, kind, key) -> text."""
    ids = [c.id for c in customers]
    wanted: dict[tuple[int, AttentionKind, str], str] = {}
    if not ids:
        return wanted
    roles_by_customer: dict[int, set[str]] = defaultdict(set)
    for customer_id, role in await CustomerContact.filter(customer_id__in=ids).values_list(
        "customer_id", "role"
    ):
        roles_by_customer[customer_id].add(str(getattr(role, "value", role)))
    last_activity = {
        row["customer_id"]: row["last"]
        for row in await CustomerActivity.filter(customer_id__in=ids, occurred_at__lte=now)
        .annotate(last=Max("occurred_at"))
        .group_by("customer_id")
        .values("customer_id", "last")
    }
    overdue_deals = await Deal.filter(
        customer_id__in=ids, status=DealStatus.OPEN, expected_close_on__lt=now.date()
    ).values_list("id", "customer_id", "product", "expected_close_on")
    for customer in customers:
        if customer.status is CustomerStatus.TRIAL and customer.trial_ends_at is not None:
            days = trial_days_left(customer, now) or 0
            if now < customer.trial_ends_at <= now + timedelta(days=TRIAL_ENDING_NOTICE_DAYS):
                wanted[(customer.id, AttentionKind.TRIAL_ENDING, "")] = (
                    f"The trial ends in {days} day{'s' if days != 1 else ''} "
                    f"({customer.trial_ends_at.date().isoformat()})."
                )
        if customer.status is CustomerStatus.ACTIVE:
            if customer.next_renewal_at is not None and customer.next_renewal_at <= now:
                wanted[(customer.id, AttentionKind.RENEWAL_OVERDUE, "")] = (
                    "The renewal date "
                    f"{customer.next_renewal_at.date().isoformat()} has passed without a renewal."
                )
            missing = [
                r.value.replace("_", " ")
                for r in RENEWAL_CONTACT_ROLES
                if r.value not in roles_by_customer[customer.id]
            ]
            if missing:
                wanted[(customer.id, AttentionKind.MISSING_RENEWAL_CONTACTS, "")] = (
                    f"Renewal notices have no {', '.join(missing)} contact to go to."
                )
        if customer.status is not CustomerStatus.CLOSED:
            last = last_activity.get(customer.id)
            quiet_since = last or customer.created_at
            if quiet_since is not None and quiet_since <= now - timedelta(days=INACTIVITY_DAYS):
                wanted[(customer.id, AttentionKind.NO_RECENT_ACTIVITY, "")] = (
                    f"No activity in the account for {INACTIVITY_DAYS} days or more."
                )
    statuses = {c.id: c.status for c in customers}
    for deal_id, customer_id, product, expected in overdue_deals:
        if statuses.get(customer_id) is not CustomerStatus.CLOSED:
            wanted[(customer_id, AttentionKind.DEAL_PAST_EXPECTED_CLOSE, f"deal:{deal_id}")] = (
                f"The deal for {product} was expected to close on {expected.isoformat()}."
            )
    return wanted


async def refresh_attention_items(
    now: datetime | None = None, customer_ids: list[int] | None = None
) -> AttentionRefresh:
    """Open the attention items whose condition holds and resolve those whose condition cleared,
    for the given customers or all of them. Safe to run in several workers at once."""
    now = now or utcnow()
    if customer_ids is None:
        # Everyone, a batch of customers at a time so that memory stays flat.
        total = AttentionRefresh(opened=0, resolved=0)
        last_id = 0
        while True:
            batch = list(
                await Customer.filter(id__gt=last_id)
                .order_by("id")
                .limit(REFRESH_BATCH_SIZE)
                .values_list("id", flat=True)
            )
            if not batch:
                return total
            done = await refresh_attention_items(now, batch)
            total = AttentionRefresh(total.opened + done.opened, total.resolved + done.resolved)
            last_id = batch[-1]
    customers = list(await Customer.filter(id__in=customer_ids))
    wanted = await _wanted_attention(customers, now)
    ids = [c.id for c in customers]
    existing = {
        (item.customer_id, item.kind, item.key): item  # type: ignore[attr-defined]
        for item in await AttentionItem.filter(customer_id__in=ids)
    }
    opened = resolved = 0
    for key, message in wanted.items():
        item = existing.get(key)
        if item is None:
            customer_id, kind, item_key = key
            try:
                await AttentionItem.create(
                    customer_id=customer_id,
                    kind=kind,
                    key=item_key,
                    message=message,
                    opened_at=now,
                )
                opened += 1
            except IntegrityError:
                pass  # another worker opened it at the same moment
        elif item.resolved_at is not None:
            opened += await AttentionItem.filter(id=item.id, resolved_at__isnull=False).update(
                resolved_at=None, opened_at=now, message=message
            )
        elif item.message != message:
            await AttentionItem.filter(id=item.id).update(message=message)
    stale = [
        item.id for key, item in existing.items() if item.resolved_at is None and key not in wanted
    ]
    if stale:
        resolved = await AttentionItem.filter(id__in=stale, resolved_at__isnull=True).update(
            resolved_at=now
        )
    return AttentionRefresh(opened=opened, resolved=resolved)
