"""Deals partners register for their customers, the conversion of a trial to a paid subscription
(which wins the deal and earns the partner a commission), commission rates, and the approval and
payment of commissions by vendor admins.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tortoise.transactions import in_transaction

from models.accounts import ActivityKind, Subscription
from models.customers import Customer
from models.deals import (
    Commission,
    CommissionStatus,
    Deal,
    DealNote,
    DealStatus,
    PartnerCommissionRate,
    TierCommissionRate,
)
from models.enums import CustomerStatus, PartnerTier
from models.partners import PartnerOrg
from services.customers.overview import (
    clean_input,
    customer_scope,
    record_activity,
    refresh_attention_items,
    utcnow,
    visible_customer,
)
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, paginate
from services.platform.viewer import Viewer

# Used for a tier until a vendor admin sets its rate.
DEFAULT_TIER_RATES: dict[PartnerTier, Decimal] = {
    PartnerTier.REGISTERED: Decimal("10.00"),
    PartnerTier.SILVER: Decimal("15.00"),
    PartnerTier.GOLD: Decimal("20.00"),
    PartnerTier.PLATINUM: Decimal("25.00"),
}
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day if it has fewer days."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _check_amount(value: Decimal, field: str, problems: list[tuple[str, str]]) -> Decimal:
    try:
        amount = Decimal(value).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        problems.append((field, "This is not an amount."))
        return Decimal(0)
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        problems.append((field, "The amount must be more than 0."))
    return amount


def _check_currency(value: str, problems: list[tuple[str, str]]) -> str:
    currency = value.strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        problems.append(("currency", "Use a three-letter currency code such as EUR."))
    return currency


def _check_rate(value: Decimal, field: str = "ratePercent") -> Decimal:
    try:
        rate = Decimal(value).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed([(field, "This is not a percentage.")]) from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise ValidationFailed([(field, "The rate must be between 0 and 100 percent.")])
    return rate


# ---- deals ------------------------------------------------------------------------------------


@dataclass
class DealChanges:
    product: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_on: date | None = None


async def visible_deal(viewer: Viewer, deal_id: int) -> Deal:
    deal = await Deal.filter(await customer_scope(viewer, "customer__"), id=deal_id).first()
    if deal is None:
        raise not_found("Deal")
    return deal


async def register_deal(
    viewer: Viewer,
    customer_id: int,
    product: str,
    amount: Decimal,
    currency: str = "EUR",
    expected_close_on: date | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Deal:
    """A partner registers a deal for one of its customers (with an optional first note)."""
    now = now or utcnow()
    customer = await visible_customer(viewer, customer_id)
    problems: list[tuple[str, str]] = []
    product_text = clean_input(product, "product", problems, max_length=200, required=True)
    checked_amount = _check_amount(amount, "amount", problems)
    checked_currency = _check_currency(currency, problems)
    note_text = clean_input(note, "note", problems, max_length=5000, multiline=True)
    if problems:
        raise ValidationFailed(problems)
    if customer.status is CustomerStatus.CLOSED:
        raise ServiceError(
            ErrorCode.INVALID,
            "The customer's trial has ended: the account is closed.",
            "customerId",
        )
    async with in_transaction():
        deal = await Deal.create(
            partner_id=customer.partner_id,  # type: ignore[attr-defined]
            customer_id=customer.id,
            created_by_id=viewer.user_id,
            product=product_text,
            amount=checked_amount,
            currency=checked_currency,
            expected_close_on=expected_close_on,
            status=DealStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
        if note_text:
            await DealNote.create(
                deal_id=deal.id, author_id=viewer.user_id, body=note_text, created_at=now
            )
    await refresh_attention_items(now, [customer.id])
    return deal


async def update_deal(
    viewer: Viewer, deal_id: int, changes: DealChanges, now: datetime | None = None
) -> Deal:
    now = now or utcnow()
    deal = await visible_deal(viewer, deal_id)
    problems: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    if changes.product is not None:
        values["product"] = clean_input(
            changes.product, "product", problems, max_length=200, required=True
        )
    if changes.amount is not None:
        values["amount"] = _check_amount(changes.amount, "amount", problems)
    if changes.currency is not None:
        values["currency"] = _check_currency(changes.currency, problems)
    if changes.expected_close_on is not None:
        values["expected_close_on"] = changes.expected_close_on
    if problems:
        raise ValidationFailed(problems)
    if not values:
        return deal
    changed = await Deal.filter(id=deal.id, status=DealStatus.OPEN).update(**values, updated_at=now)
    if not changed:
        raise ServiceError(ErrorCode.INVALID, "Only an open deal can be changed.", "id")
    await refresh_attention_items(now, [deal.customer_id])  # type: ignore[attr-defined]
    return await Deal.get(id=deal.id)


async def mark_deal_lost(
    viewer: Viewer, deal_id: int, reason: str, now: datetime | None = None
) -> Deal:
    now = now or utcnow()
    deal = await visible_deal(viewer, deal_id)
    problems: list[tuple[str, str]] = []
    reason_text = clean_input(reason, "reason", problems, max_length=500, required=True)
    if problems:
        raise ValidationFailed(problems)
    changed = await Deal.filter(id=deal.id, status=DealStatus.OPEN).update(
        status=DealStatus.LOST, lost_reason=reason_text, closed_at=now, updated_at=now
    )
    if not changed:
        raise ServiceError(ErrorCode.INVALID, "Only an open deal can be marked lost.", "id")
    await refresh_attention_items(now, [deal.customer_id])  # type: ignore[attr-defined]
    return await Deal.get(id=deal.id)


async def add_deal_note(
    viewer: Viewer, deal_id: int, body: str, now: datetime | None = None
) -> DealNote:
    """A note on a deal for the vendor team (vendor staff may answer in the same thread)."""
    deal = await visible_deal(viewer, deal_id)
    problems: list[tuple[str, str]] = []
    text = clean_input(body, "body", problems, max_length=5000, required=True, multiline=True)
    if problems:
        raise ValidationFailed(problems)
    return await DealNote.create(
        deal_id=deal.id, author_id=viewer.user_id, body=text, created_at=now or utcnow()
    )


async def list_deals(
    viewer: Viewer,
    partner_id: int | None = None,
    customer_id: int | None = None,
    status: DealStatus | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Deal]:
    queryset = Deal.filter(await customer_scope(viewer, "customer__")).select_related("customer")
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, first, after)


async def notes_of_deals(deal_ids: list[int]) -> dict[int, list[DealNote]]:
    result: dict[int, list[DealNote]] = defaultdict(list)
    notes = DealNote.filter(deal_id__in=deal_ids).select_related("author")
    for note in await notes.order_by("created_at", "id"):
        result[note.deal_id].append(note)  # type: ignore[attr-defined]
    return result


async def commissions_of_deals(deal_ids: list[int]) -> dict[int, Commission]:
    return {
        c.deal_id: c  # type: ignore[attr-defined]
        for c in await Commission.filter(deal_id__in=deal_ids)
    }


# ---- commission rates -------------------------------------------------------------------------


@dataclass(frozen=True)
class TierRate:
    tier: PartnerTier
    rate_percent: Decimal
    is_default: bool


async def tier_rates() -> list[TierRate]:
    stored = {row.tier: row.rate_percent for row in await TierCommissionRate.all()}
    return [
        TierRate(tier, Decimal(stored.get(tier, DEFAULT_TIER_RATES[tier])), tier not in stored)
        for tier in PartnerTier
    ]


async def commission_rate_for(partner: PartnerOrg) -> Decimal:
    """The partner's own rate if it has one, else its tier's rate."""
    own = await PartnerCommissionRate.get_or_none(partner_id=partner.id)
    if own is not None:
        return Decimal(own.rate_percent)
    tier_row = await TierCommissionRate.get_or_none(tier=partner.tier)
    return Decimal(tier_row.rate_percent) if tier_row else DEFAULT_TIER_RATES[partner.tier]


async def set_tier_rate(viewer: Viewer, tier: PartnerTier, rate_percent: Decimal) -> TierRate:
    viewer.require_vendor_admin()
    rate = _check_rate(rate_percent)
    await TierCommissionRate.update_or_create(tier=tier, defaults={"rate_percent": rate})
    return TierRate(tier, rate, False)


async def set_partner_rate(
    viewer: Viewer, partner_id: int, rate_percent: Decimal | None
) -> Decimal | None:
    """Set (or with None, remove) a partner's own commission rate; returns the rate in force."""
    viewer.require_vendor_admin()
    partner = await PartnerOrg.get_or_none(id=partner_id)
    if partner is None:
        raise not_found("Partner")
    if rate_percent is None:
        await PartnerCommissionRate.filter(partner_id=partner.id).delete()
    else:
        rate = _check_rate(rate_percent)
        await PartnerCommissionRate.update_or_create(
            partner_id=partner.id, defaults={"rate_percent": rate}
        )
    return await commission_rate_for(partner)


async def partner_rate(viewer: Viewer, partner_id: int) -> tuple[Decimal, bool]:
    """The commission rate in force for a partner and whether it is the partner's own rate."""
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    partner = await PartnerOrg.get_or_none(id=partner_id)
    if partner is None:
        raise not_found("Partner")
    own = await PartnerCommissionRate.exists(partner_id=partner_id)
    return await commission_rate_for(partner), own


# ---- converting a trial to a paid subscription ------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    customer: Customer
    subscription: Subscription
    deal: Deal | None
    commission: Commission | None


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
            won = await Deal.filter(id=deal.id, status=DealStatus.OPEN).update(
                status=DealStatus.WON, closed_at=now, updated_at=now
            )
            if not won:
                raise ServiceError(ErrorCode.INVALID, "The deal is no longer open.", "dealId")
            base = Decimal(deal.amount)
            commission = await Commission.create(
                partner_id=partner.id,
                deal_id=deal.id,
                customer_id=customer.id,
                base_amount=base,
                rate_percent=rate,
                amount=(base * rate / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP),
                currency=deal.currency,
                status=CommissionStatus.PENDING,
                created_at=now,
            )
        await record_activity(
            customer.id,
            ActivityKind.SUBSCRIPTION_STARTED,
            f"Paid subscription started{f' ({subscription.plan})' if subscription.plan else ''}.",
            actor_id=viewer.user_id,
            occurred_at=now,
        )
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
    await refresh_attention_items(now, [customer.id])
    return await Customer.get(id=customer.id)


# ---- commissions ------------------------------------------------------------------------------


async def list_commissions(
    viewer: Viewer,
    partner_id: int | None = None,
    status: CommissionStatus | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Commission]:
    queryset = Commission.filter(await customer_scope(viewer, "customer__")).select_related(
        "customer", "deal"
    )
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, first, after)


async def deals_by_id(deal_ids: list[int]) -> dict[int, Deal]:
    return {d.id: d for d in await Deal.filter(id__in=deal_ids)}


async def _move_commission(
    viewer: Viewer,
    commission_id: int,
    source: CommissionStatus,
    target: CommissionStatus,
    now: datetime | None,
) -> Commission:
    if not viewer.is_vendor_admin:
        raise forbidden("Only vendor admins approve and pay commissions.")
    now = now or utcnow()
    commission = await Commission.get_or_none(id=commission_id)
    if commission is None:
        raise not_found("Commission")
    stamp = (
        {"approved_at": now, "approved_by_id": viewer.user_id}
        if target is CommissionStatus.APPROVED
        else {"paid_at": now, "paid_by_id": viewer.user_id}
    )
    changed = await Commission.filter(id=commission.id, status=source).update(
        status=target, **stamp
    )
    if not changed:
        raise ServiceError(
            ErrorCode.INVALID,
            f"Only a {source.value} commission can become {target.value}.",
            "id",
        )
    return await Commission.get(id=commission.id)


async def approve_commission(
    viewer: Viewer, commission_id: int, now: datetime | None = None
) -> Commission:
    return await _move_commission(
        viewer, commission_id, CommissionStatus.PENDING, CommissionStatus.APPROVED, now
    )


async def mark_commission_paid(
    viewer: Viewer, commission_id: int, now: datetime | None = None
) -> Commission:
    return await _move_commission(
        viewer, commission_id, CommissionStatus.APPROVED, CommissionStatus.PAID, now
    )
