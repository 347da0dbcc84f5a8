"""The GraphQL types of the deals domain: deals and their notes, commissions, conversions to
paid subscriptions, commission rates, and the results of their mutations.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from models.accounts import Subscription as SubscriptionModel
from models.deals import Commission as CommissionModel
from models.deals import CommissionStatus as CommissionStatusEnum
from models.deals import Deal as DealModel
from models.deals import DealNote as DealNoteModel
from models.deals import DealStatus as DealStatusEnum
from resolvers.platform.context import loaders_of
from resolvers.platform.permissions import IsAuthenticated
from schema.customers.customer import Customer
from schema.partners.types import Partner, PartnerTier
from schema.platform.common import (
    Connection,
    OperationErrors,
    PageWindow,
    fetch,
    to_connection,
)
from schema.platform.ids import global_id
from schema.platform.node import Node
from services.deals.commissions import TierRate

DealStatus = strawberry.enum(DealStatusEnum, name="DealStatus")
CommissionStatus = strawberry.enum(CommissionStatusEnum, name="CommissionStatus")


@strawberry.type(description="A note on a deal, for the vendor team.")
class DealNote(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    body: str
    author_email: str | None
    author_name: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, note: DealNoteModel) -> DealNote:
        author = note.author  # select_related by the service
        return cls(
            id=global_id("DealNote", note.id),
            pk=note.id,
            body=note.body,
            author_email=author.email if author else None,
            author_name=author.full_name if author else None,
            created_at=note.created_at,
        )


@strawberry.type(description="A partner's commission for a won deal.")
class Commission(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    partner_pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]
    deal: Deal
    base_amount: Decimal
    rate_percent: Decimal
    amount: Decimal
    currency: str
    status: CommissionStatus
    created_at: datetime
    updated_at: datetime | None = strawberry.field(description="When it last changed (sync).")
    approved_at: datetime | None
    paid_at: datetime | None

    @classmethod
    def from_model(cls, commission: CommissionModel, deal: DealModel) -> Commission:
        return cls(
            id=global_id("Commission", commission.id),
            pk=commission.id,
            partner_pk=commission.partner_id,  # type: ignore[attr-defined]
            customer_pk=commission.customer_id,  # type: ignore[attr-defined]
            deal=Deal.from_model(deal),
            base_amount=commission.base_amount,
            rate_percent=commission.rate_percent,
            amount=commission.amount,
            currency=commission.currency,
            status=commission.status,
            created_at=commission.created_at,
            updated_at=commission.updated_at,
            approved_at=commission.approved_at,
            paid_at=commission.paid_at,
        )

    @classmethod
    def from_loaded(cls, commission: CommissionModel) -> Commission:
        """From a commission whose deal was select_related."""
        return cls.from_model(commission, commission.deal)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info) -> Partner | None:
        found = await loaders_of(info).partner.load(self.partner_pk)
        return Partner.from_model(found) if found else None

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        found = await loaders_of(info).customer.load(self.customer_pk)
        return Customer.from_model(found) if found else None


@strawberry.type(description="A deal a partner registered for a customer.")
class Deal(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    model: strawberry.Private[DealModel]
    partner_pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]
    product: str
    amount: Decimal
    currency: str
    expected_close_on: date | None
    status: DealStatus
    lost_reason: str
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, deal: DealModel) -> Deal:
        return cls(
            id=global_id("Deal", deal.id),
            pk=deal.id,
            model=deal,
            partner_pk=deal.partner_id,  # type: ignore[attr-defined]
            customer_pk=deal.customer_id,  # type: ignore[attr-defined]
            product=deal.product,
            amount=deal.amount,
            currency=deal.currency,
            expected_close_on=deal.expected_close_on,
            status=deal.status,
            lost_reason=deal.lost_reason,
            closed_at=deal.closed_at,
            created_at=deal.created_at,
            updated_at=deal.updated_at,
        )

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info) -> Partner | None:
        found = await loaders_of(info).partner.load(self.partner_pk)
        return Partner.from_model(found) if found else None

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        found = await loaders_of(info).customer.load(self.customer_pk)
        return Customer.from_model(found) if found else None

    @strawberry.field(description="Notes for the vendor team, oldest first.")
    async def notes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DealNote]:
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: loaders_of(info).notes_of_deal.load(self.pk, window))
        return to_connection(page, DealNote.from_model)

    @strawberry.field(description="The commission, once the deal is won.")
    async def commission(self, info: Info) -> Commission | None:
        found = await loaders_of(info).commission_of_deal.load(self.pk)
        return Commission.from_model(found, self.model) if found else None


@strawberry.type(name="CustomerSubscription", description="A paid subscription.")
class CustomerSubscription(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    plan: str
    term_months: int
    converted_at: datetime

    @classmethod
    def from_model(cls, subscription: SubscriptionModel) -> CustomerSubscription:
        return cls(
            id=global_id("CustomerSubscription", subscription.id),
            pk=subscription.id,
            plan=subscription.plan,
            term_months=subscription.term_months,
            converted_at=subscription.converted_at,
        )


@strawberry.type(description="A trial converted to a paid subscription.")
class Conversion:
    customer: Customer
    subscription: CustomerSubscription
    deal: Deal | None
    commission: Commission | None


@strawberry.type(description="The commission rate of a partner tier.")
class TierCommissionRate:
    id: strawberry.ID = strawberry.field(description="Stable per tier (cacheable).")
    tier: PartnerTier
    rate_percent: Decimal
    is_default: bool = strawberry.field(description="Not set by a vendor admin yet.")

    @classmethod
    def from_rate(cls, rate: TierRate) -> TierCommissionRate:
        return cls(
            id=strawberry.ID(str(GlobalID("TierCommissionRate", rate.tier.value))),
            tier=rate.tier,
            rate_percent=rate.rate_percent,
            is_default=rate.is_default,
        )


@strawberry.type(description="The commission rate in force for a partner.")
class PartnerCommissionRate:
    id: strawberry.ID = strawberry.field(description="Stable per partner (cacheable).")
    partner_pk: strawberry.Private[int]
    rate_percent: Decimal
    is_partner_rate: bool = strawberry.field(
        description="The partner's own rate (else its tier's rate)."
    )

    @classmethod
    def of(cls, partner_pk: int, rate_percent: Decimal, own: bool) -> PartnerCommissionRate:
        return cls(
            id=global_id("PartnerCommissionRate", partner_pk),
            partner_pk=partner_pk,
            rate_percent=rate_percent,
            is_partner_rate=own,
        )

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info) -> Partner | None:
        found = await loaders_of(info).partner.load(self.partner_pk)
        return Partner.from_model(found) if found else None


@strawberry.input
class DealInput:
    product: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_on: date | None = None


DealResult = Annotated[Deal | OperationErrors, strawberry.union("DealResult")]
DealNoteResult = Annotated[DealNote | OperationErrors, strawberry.union("DealNoteResult")]
ConversionResult = Annotated[Conversion | OperationErrors, strawberry.union("ConversionResult")]
CommissionResult = Annotated[Commission | OperationErrors, strawberry.union("CommissionResult")]
TierCommissionRateResult = Annotated[
    TierCommissionRate | OperationErrors, strawberry.union("TierCommissionRateResult")
]
PartnerCommissionRateResult = Annotated[
    PartnerCommissionRate | OperationErrors, strawberry.union("PartnerCommissionRateResult")
]
