"""Commission rates (per partner tier, or a partner's own) and the commissions partners earn on
won deals, which vendor admins approve and mark paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from tortoise.transactions import in_transaction

from models.deals import Commission, CommissionStatus, PartnerCommissionRate, TierCommissionRate
from models.enums import PartnerTier
from models.partners import PartnerOrg
from models.webhooks import WebhookEventType
from services.customers.access import customer_scope
from services.customers.common import utcnow
from services.deals.service import CENT
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer
from services.webhooks.events import emit

# Used for a tier until a vendor admin sets its rate.
DEFAULT_TIER_RATES: dict[PartnerTier, Decimal] = {
    PartnerTier.REGISTERED: Decimal("10.00"),
    PartnerTier.SILVER: Decimal("15.00"),
    PartnerTier.GOLD: Decimal("20.00"),
    PartnerTier.PLATINUM: Decimal("25.00"),
}


def _check_rate(value: Decimal, field: str = "ratePercent") -> Decimal:
    try:
        rate = Decimal(value).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed([(field, "This is not a percentage.")]) from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise ValidationFailed([(field, "The rate must be between 0 and 100 percent.")])
    return rate


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


async def list_commissions(
    viewer: Viewer,
    partner_id: int | None = None,
    status: CommissionStatus | None = None,
    window: PageWindow = PageWindow(),
) -> Page[Commission]:
    queryset = Commission.filter(await customer_scope(viewer, "customer__")).select_related(
        "customer", "deal"
    )
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, window)


_MOVE_EVENTS = {
    CommissionStatus.APPROVED: WebhookEventType.COMMISSION_APPROVED,
    CommissionStatus.PAID: WebhookEventType.COMMISSION_PAID,
}


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
    async with in_transaction():
        changed = await Commission.filter(id=commission.id, status=source).update(
            status=target, **stamp
        )
        if not changed:
            raise ServiceError(
                ErrorCode.INVALID,
                f"Only a {source.value} commission can become {target.value}.",
                "id",
            )
        moved = await Commission.get(id=commission.id)
        await emit(_MOVE_EVENTS[target], moved)
    return moved


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
