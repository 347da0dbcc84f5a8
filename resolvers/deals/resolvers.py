"""Deals, conversions to paid subscriptions, and commissions (thin calls into services/deals/)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from strawberry.types import Info

from models.deals import Commission, CommissionStatus, Deal, DealNote, DealStatus
from models.enums import PartnerTier
from resolvers.platform.permissions import viewer_of
from services.customers import records
from services.deals import commissions, conversion
from services.deals import service as deals
from services.deals.commissions import TierRate
from services.deals.conversion import Conversion
from services.deals.service import DealChanges
from services.platform.pagination import Page, PageWindow


async def list_deals(
    info: Info,
    partner_id: int | None,
    customer_id: int | None,
    status: DealStatus | None,
    window: PageWindow,
) -> Page[Deal]:
    return await deals.list_deals(viewer_of(info), partner_id, customer_id, status, window)


async def get_deal(info: Info, deal_id: int) -> Deal:
    return await deals.visible_deal(viewer_of(info), deal_id)


async def register_deal(
    info: Info,
    customer_id: int,
    product: str,
    amount: Decimal,
    currency: str,
    expected_close_on: date | None,
    note: str,
) -> Deal:
    return await deals.register_deal(
        viewer_of(info), customer_id, product, amount, currency, expected_close_on, note
    )


async def update_deal(info: Info, deal_id: int, changes: DealChanges) -> Deal:
    return await deals.update_deal(viewer_of(info), deal_id, changes)


async def mark_deal_lost(info: Info, deal_id: int, reason: str) -> Deal:
    return await deals.mark_deal_lost(viewer_of(info), deal_id, reason)


async def add_deal_note(info: Info, deal_id: int, body: str) -> DealNote:
    return await deals.add_deal_note(viewer_of(info), deal_id, body)


async def convert_to_paid(
    info: Info, customer_id: int, deal_id: int | None, plan: str, term_months: int
) -> Conversion:
    return await conversion.convert_to_paid(
        viewer_of(info), customer_id, deal_id, plan, term_months
    )


async def list_commissions(
    info: Info,
    partner_id: int | None,
    status: CommissionStatus | None,
    window: PageWindow,
) -> Page[Commission]:
    return await commissions.list_commissions(viewer_of(info), partner_id, status, window)


async def approve_commission(info: Info, commission_id: int) -> Commission:
    return await commissions.approve_commission(viewer_of(info), commission_id)


async def mark_commission_paid(info: Info, commission_id: int) -> Commission:
    return await commissions.mark_commission_paid(viewer_of(info), commission_id)


async def tier_rates(info: Info) -> list[TierRate]:
    viewer_of(info)
    return await commissions.tier_rates()


async def set_tier_rate(info: Info, tier: PartnerTier, rate_percent: Decimal) -> TierRate:
    return await commissions.set_tier_rate(viewer_of(info), tier, rate_percent)


async def partner_rate(info: Info, partner_id: int) -> tuple[Decimal, bool]:
    return await commissions.partner_rate(viewer_of(info), partner_id)


async def set_partner_rate(
    info: Info, partner_id: int, rate_percent: Decimal | None
) -> tuple[Decimal, bool]:
    viewer = viewer_of(info)
    await commissions.set_partner_rate(viewer, partner_id, rate_percent)
    return await commissions.partner_rate(viewer, partner_id)


async def deal_note(info: Info, pk: int) -> DealNote:
    """A note on a deal the caller may see (node(id))."""
    return await records.visible_deal_note(viewer_of(info), pk)


async def commission(info: Info, pk: int) -> Commission:
    """A commission of a customer the caller may see (node(id)), with its deal."""
    found = await records.visible_record(viewer_of(info), Commission, pk, "Commission")
    await found.fetch_related("deal")
    return found
