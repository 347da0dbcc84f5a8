"""The deals domain's queries and mutations: deals, conversions to paid subscriptions,
commissions and commission rates.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from models.deals import Commission as CommissionModel
from models.deals import Deal as DealModel
from resolvers.customers import resolvers as customer_resolvers
from resolvers.deals import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from schema.customers.customer import Customer
from schema.customers.types import CustomerResult
from schema.deals.types import (
    Commission,
    CommissionResult,
    CommissionStatus,
    Conversion,
    ConversionResult,
    CustomerSubscription,
    Deal,
    DealInput,
    DealNote,
    DealNoteResult,
    DealResult,
    DealStatus,
    PartnerCommissionRate,
    PartnerCommissionRateResult,
    TierCommissionRate,
    TierCommissionRateResult,
)
from schema.partners.types import PartnerTier
from schema.platform.common import (
    Connection,
    PageWindow,
    UpdatedSince,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import register_node
from services.deals.service import DealChanges


async def _one_deal(deal: DealModel) -> Deal:
    return Deal.from_model(deal)


@strawberry.type
class DealQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Deals you may see: your org's, or for vendor staff their partners'.",
    )
    async def deals(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        status: DealStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Deal]:
        page = await fetch(
            lambda: resolve.list_deals(
                info,
                parse_optional_id(partner_id, "Partner", "partnerId"),
                parse_optional_id(customer_id, "Customer", "customerId"),
                status,
                PageWindow(first, after, last, before, updated_since),
            )
        )
        return to_connection(page, Deal.from_model)

    @strawberry.field(permission_classes=[IsAuthenticatedOrActingAs])
    async def deal(self, info: Info, id: strawberry.ID) -> Deal | None:
        deal = await fetch(lambda: resolve.get_deal(info, parse_id(id, "Deal")))
        return await _one_deal(deal)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Commissions: partners see their own, vendor staff their partners'.",
    )
    async def commissions(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        status: CommissionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Commission]:
        page = await fetch(
            lambda: resolve.list_commissions(
                info,
                parse_optional_id(partner_id, "Partner", "partnerId"),
                status,
                PageWindow(first, after, last, before, updated_since),
            )
        )
        return to_connection(page, Commission.from_loaded)

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Commission rates per partner tier."
    )
    async def tier_commission_rates(self, info: Info) -> list[TierCommissionRate]:
        rates = await fetch(lambda: resolve.tier_rates(info))
        return [TierCommissionRate.from_rate(r) for r in rates]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The commission rate in force for a partner (partners: their own).",
    )
    async def partner_commission_rate(
        self, info: Info, partner_id: strawberry.ID
    ) -> PartnerCommissionRate | None:
        async def run() -> PartnerCommissionRate:
            partner_pk = parse_id(partner_id, "Partner", "partnerId")
            rate, own = await resolve.partner_rate(info, partner_pk)
            return PartnerCommissionRate.of(partner_pk, rate, own)

        return await fetch(run)


@strawberry.type
class DealMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Register a deal for one of your customers, with an optional first note.",
        deprecation_reason="Use submitDealRegistration: the vendor reviews and protects it.",
    )
    async def register_deal(
        self,
        info: Info,
        customer_id: strawberry.ID,
        product: str,
        amount: Decimal,
        currency: str = "EUR",
        expected_close_on: date | None = None,
        note: str = "",
    ) -> DealResult:
        async def run() -> Deal:
            deal = await resolve.register_deal(
                info,
                parse_id(customer_id, "Customer", "customerId"),
                product,
                amount,
                currency,
                expected_close_on,
                note,
            )
            return await _one_deal(deal)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs], description="Change an open deal."
    )
    async def update_deal(self, info: Info, id: strawberry.ID, input: DealInput) -> DealResult:
        async def run() -> Deal:
            changes = DealChanges(
                product=input.product,
                amount=input.amount,
                currency=input.currency,
                expected_close_on=input.expected_close_on,
            )
            return await _one_deal(await resolve.update_deal(info, parse_id(id, "Deal"), changes))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs], description="Mark a deal lost."
    )
    async def mark_deal_lost(self, info: Info, id: strawberry.ID, reason: str) -> DealResult:
        async def run() -> Deal:
            return await _one_deal(await resolve.mark_deal_lost(info, parse_id(id, "Deal"), reason))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Add a note for the vendor team.",
    )
    async def add_deal_note(self, info: Info, deal_id: strawberry.ID, body: str) -> DealNoteResult:
        async def run() -> DealNote:
            note = await resolve.add_deal_note(info, parse_id(deal_id, "Deal", "dealId"), body)
            await note.fetch_related("author")
            return DealNote.from_model(note)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The customer converts its trial to a paid subscription: the subscription "
        "starts, the open deal (or the one named) is won and the partner's commission created.",
    )
    async def convert_trial_to_paid(
        self,
        info: Info,
        customer_id: strawberry.ID,
        deal_id: strawberry.ID | None = None,
        plan: str = "",
        term_months: int = 12,
    ) -> ConversionResult:
        async def run() -> Conversion:
            result = await resolve.convert_to_paid(
                info,
                parse_id(customer_id, "Customer", "customerId"),
                parse_optional_id(deal_id, "Deal", "dealId"),
                plan,
                term_months,
            )
            deal = await _one_deal(result.deal) if result.deal else None
            return Conversion(
                customer=Customer.from_model(result.customer),
                subscription=CustomerSubscription.from_model(result.subscription),
                deal=deal,
                commission=(
                    Commission.from_model(result.commission, result.deal)
                    if result.commission and result.deal
                    else None
                ),
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Record that a subscription renewed: the renewal date moves one term "
        "(vendor admins).",
    )
    async def record_renewal(self, info: Info, customer_id: strawberry.ID) -> CustomerResult:
        async def run() -> Customer:
            customer = await customer_resolvers.record_renewal(
                info, parse_id(customer_id, "Customer", "customerId")
            )
            return Customer.from_model(customer)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Approve a commission (vendor admins)."
    )
    async def approve_commission(self, info: Info, id: strawberry.ID) -> CommissionResult:
        async def run() -> Commission:
            commission = await resolve.approve_commission(info, parse_id(id, "Commission"))
            return await _commission_type(commission)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Mark an approved commission paid (vendor admins).",
    )
    async def mark_commission_paid(self, info: Info, id: strawberry.ID) -> CommissionResult:
        async def run() -> Commission:
            commission = await resolve.mark_commission_paid(info, parse_id(id, "Commission"))
            return await _commission_type(commission)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set the commission rate of a partner tier (vendor admins).",
    )
    async def set_tier_commission_rate(
        self, info: Info, tier: PartnerTier, rate_percent: Decimal
    ) -> TierCommissionRateResult:
        async def run() -> TierCommissionRate:
            return TierCommissionRate.from_rate(
                await resolve.set_tier_rate(info, tier, rate_percent)
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set a partner's own commission rate, or remove it with null so that its "
        "tier's rate applies (vendor admins).",
    )
    async def set_partner_commission_rate(
        self, info: Info, partner_id: strawberry.ID, rate_percent: Decimal | None = None
    ) -> PartnerCommissionRateResult:
        async def run() -> PartnerCommissionRate:
            partner_pk = parse_id(partner_id, "Partner", "partnerId")
            rate, own = await resolve.set_partner_rate(info, partner_pk, rate_percent)
            return PartnerCommissionRate.of(partner_pk, rate, own)

        return await mutate(run)


async def _commission_type(commission: CommissionModel) -> Commission:
    await commission.fetch_related("deal")
    return Commission.from_loaded(commission)


async def _load_deal(info: Info, pk: int) -> Deal:
    return await _one_deal(await resolve.get_deal(info, pk))


register_node("Deal", _load_deal, IsAuthenticatedOrActingAs)


async def _load_commission(info: Info, pk: int) -> Commission:
    return Commission.from_loaded(await resolve.commission(info, pk))


async def _load_deal_note(info: Info, pk: int) -> DealNote:
    return DealNote.from_model(await resolve.deal_note(info, pk))


async def _load_subscription(info: Info, pk: int) -> CustomerSubscription:
    return CustomerSubscription.from_model(
        await customer_resolvers.customer_record(info, "Subscription", pk)
    )


register_node("Commission", _load_commission, IsAuthenticatedOrActingAs)
register_node("DealNote", _load_deal_note, IsAuthenticatedOrActingAs)
register_node("CustomerSubscription", _load_subscription, IsAuthenticatedOrActingAs)
