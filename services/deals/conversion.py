"""Converting a trial to a paid subscription (which wins the deal and creates the partner's
commission at its rate), and recording that a subscription renewed.

Winning a deal that came from a deal registration wins that registration too, in the same
transaction (services/deals/registration_moves.py, `win_registration_of_deal`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from tortoise.transactions import in_transaction

from models.accounts import ActivityKind, Subscription
from models.customers import Customer
from models.deals import Commission, CommissionStatus, Deal, DealStatus
from models.enums import CustomerStatus
from models.partners import PartnerOrg
from models.webhooks import WebhookEventType
from services.customers.access import visible_customer
from services.customers.attention import refresh_attention_items
from services.customers.common import clean_input, record_activity, utcnow
from services.deals.commissions import commission_rate_for
from services.deals.registration_events import RegistrationChange, announce_committed
from services.deals.registration_moves import win_registration_of_deal
from services.deals.service import CENT
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed
from services.platform.viewer import Viewer
from services.webhooks.events import emit, emit_fetched


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day if it has fewer days."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Conversion:
    customer: Customer
    subscription: Subscription
    deal: Deal | None
    commission: Commission | None


async def _win_deal(
    deal: Deal, customer_id: int, partner_id: int, rate: Decimal, actor_id: int, now: datetime
) -> tuple[Commission, RegistrationChange | None]:
    """Inside the caller's transaction: the open deal is won, the partner's commission created
    at `rate`, and the deal registration it came from (if any) is won too."""
    won = await Deal.filter(id=deal.id, status=DealStatus.OPEN).update(
        status=DealStatus.WON, closed_at=now, updated_at=now
    )
    if not won:
        raise ServiceError(ErrorCode.INVALID, "The deal is no longer open.", "dealId")
    await emit_fetched(WebhookEventType.DEAL_WON, Deal, [deal.id])
    base = Decimal(deal.amount)
    commission = await Commission.create(
        partner_id=partner_id,
        deal_id=deal.id,
        customer_id=customer_id,
        base_amount=base,
        rate_percent=rate,
        amount=(base * rate / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP),
        currency=deal.currency,
        status=CommissionStatus.PENDING,
        created_at=now,
    )
    await emit(WebhookEventType.COMMISSION_CREATED, commission)
    registration_change = await win_registration_of_deal(deal.id, actor_id, now)
    return commission, registration_change


async def win_open_deal(viewer: Viewer, deal_id: int, now: datetime | None = None) -> Commission:
    """Win an open deal of a customer that already pays (a further sale): the commission is
    created as at a conversion; no subscription changes. Vendor admins."""
    viewer.require_vendor_admin()
    now = now or utcnow()
    deal = await Deal.filter(id=deal_id, status=DealStatus.OPEN).first()
    if deal is None:
        raise ServiceError(ErrorCode.INVALID, "The deal is no longer open.", "dealId")
    partner = await PartnerOrg.get(id=deal.partner_id)  # type: ignore[attr-defined]
    rate = await commission_rate_for(partner)
    customer_id = deal.customer_id  # type: ignore[attr-defined]
    async with in_transaction():
        commission, registration_change = await _win_deal(
            deal, customer_id, partner.id, rate, viewer.user_id, now
        )
    if registration_change is not None:
        await announce_committed(registration_change)
    await refresh_attention_items(now, [customer_id])
    return commission


async def convert_to_paid(
    viewer: Viewer,
    customer_id: int,
    deal_id: int | None = None,
    plan: str = "",
    term_months: int = 12,
    now: datetime | None = None,
) -> Conversion:
    """The customer takes a paid subscription: the subscription starts now, the renewal date is
    one term later, the deal is won and the partner's commission is created at its rate."""
    now = now or utcnow()
    customer = await visible_customer(viewer, customer_id)
    problems: list[tuple[str, str]] = []
    plan_text = clean_input(plan, "plan", problems, max_length=200)
    if not 1 <= term_months <= 60:
        problems.append(("termMonths", "The term must be 1 to 60 months."))
    if problems:
        raise ValidationFailed(problems)
    if customer.status is CustomerStatus.ACTIVE:
        raise ServiceError(
            ErrorCode.INVALID, "This customer already has a paid subscription.", "customerId"
        )
    open_deals = await Deal.filter(customer_id=customer.id, status=DealStatus.OPEN).order_by("id")
    deal: Deal | None = None
    if deal_id is not None:
        deal = next((d for d in open_deals if d.id == deal_id), None)
        if deal is None:
            raise ServiceError(
                ErrorCode.NOT_FOUND, "No open deal with this id for this customer.", "dealId"
            )
    elif len(open_deals) == 1:
        deal = open_deals[0]
    elif len(open_deals) > 1:
        raise ValidationFailed(
            [("dealId", "This customer has several open deals: say which one was won.")]
        )
    partner = await PartnerOrg.get(id=customer.partner_id)  # type: ignore[attr-defined]
    rate = await commission_rate_for(partner)
    renewal_at = add_months(now, term_months)
    commission: Commission | None = None
    registration_change: RegistrationChange | None = None
    async with in_transaction():
        changed = await Customer.filter(
            id=customer.id, status__in=[CustomerStatus.TRIAL, CustomerStatus.CLOSED]
        ).update(
            status=CustomerStatus.ACTIVE,
            subscription_started_at=now,
            next_renewal_at=renewal_at,
            updated_at=now,
        )
        if not changed:
            raise ServiceError(
                ErrorCode.INVALID, "This customer already has a paid subscription.", "customerId"
            )
        subscription, _ = await Subscription.update_or_create(
            customer_id=customer.id,
            defaults={
                "deal_id": deal.id if deal else None,
                "plan": plan_text or (deal.product if deal else ""),
                "term_months": term_months,
                "converted_by_id": viewer.user_id,
                "converted_at": now,
            },
        )
        if deal is not None:
            commission, registration_change = await _win_deal(
                deal, customer.id, partner.id, rate, viewer.user_id, now
            )
        await record_activity(
            customer.id,
            ActivityKind.SUBSCRIPTION_STARTED,
            f"Paid subscription started{f' ({subscription.plan})' if subscription.plan else ''}.",
            actor_id=viewer.user_id,
            occurred_at=now,
        )
        await emit_fetched(WebhookEventType.CUSTOMER_CONVERTED, Customer, [customer.id])
    if registration_change is not None:
        await announce_committed(registration_change)
    await refresh_attention_items(now, [customer.id])
    return Conversion(
        customer=await Customer.get(id=customer.id),
        subscription=subscription,
        deal=await Deal.get(id=deal.id) if deal else None,
        commission=commission,
    )


async def record_renewal(viewer: Viewer, customer_id: int, now: datetime | None = None) -> Customer:
    """A vendor admin records that the subscription renewed: the renewal date moves one term."""
    viewer.require_vendor_admin()
    now = now or utcnow()
    customer = await visible_customer(viewer, customer_id)
    if customer.status is not CustomerStatus.ACTIVE or customer.next_renewal_at is None:
        raise ServiceError(ErrorCode.INVALID, "Only a paid subscription renews.", "customerId")
    subscription = await Subscription.get_or_none(customer_id=customer.id)
    term = subscription.term_months if subscription else 12
    next_renewal = add_months(customer.next_renewal_at, term)
    async with in_transaction():
        changed = await Customer.filter(
            id=customer.id, next_renewal_at=customer.next_renewal_at
        ).update(next_renewal_at=next_renewal, updated_at=now)
        if not changed:
            raise ServiceError(ErrorCode.INVALID, "The renewal changed meanwhile.", "customerId")
        await record_activity(
            customer.id,
            ActivityKind.SUBSCRIPTION_RENEWED,
            f"Subscription renewed until {next_renewal.date().isoformat()}.",
            actor_id=viewer.user_id,
            occurred_at=now,
        )
        await emit_fetched(WebhookEventType.CUSTOMER_RENEWED, Customer, [customer.id])
    await refresh_attention_items(now, [customer.id])
    return await Customer.get(id=customer.id)


async def subscriptions_of_customers(customer_ids: list[int]) -> dict[int, Subscription]:
    """The subscriptions of these customers, by customer id, in one query. No visibility check:
    for customers the caller was already allowed to see."""
    return {
        s.customer_id: s  # type: ignore[attr-defined]
        for s in await Subscription.filter(customer_id__in=customer_ids)
    }
