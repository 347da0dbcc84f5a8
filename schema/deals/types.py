"""The GraphQL types of the deals domain: deals and their notes, commissions, conversions to
paid subscriptions, commission rates, and the results of their mutations.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from models.customers import Customer as CustomerModel
from models.deals import Commission as CommissionModel
from models.deals import CommissionStatus as CommissionStatusEnum
from models.deals import Deal as DealModel
from models.deals import DealNote as DealNoteModel
from models.deals import DealStatus as DealStatusEnum
from schema.partners.types import Customer, PartnerTier
from schema.platform.common import OperationErrors
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
    partner_id: strawberry.ID
    deal_id: strawberry.ID
    deal_product: str
    customer: Customer
    base_amount: Decimal
    rate_percent: Decimal
    amount: Decimal
    currency: str
    status: CommissionStatus
    created_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None

    @classmethod
    def from_model(
        cls, commission: CommissionModel, deal: DealModel, customer: CustomerModel
    ) -> Commission:
        return cls(
            id=global_id("Commission", commission.id),
            pk=commission.id,
            partner_id=global_id("Partner", commission.partner_id),  # type: ignore[attr-defined]
            deal_id=global_id("Deal", deal.id),
            deal_product=deal.product,
            customer=Customer.from_model(customer),
            base_amount=commission.base_amount,
            rate_percent=commission.rate_percent,
            amount=commission.amount,
            currency=commission.currency,
            status=commission.status,
            created_at=commission.created_at,
            approved_at=commission.approved_at,
            paid_at=commission.paid_at,
        )

    @classmethod
    def from_loaded(cls, commission: CommissionModel) -> Commission:
        """From a commission whose deal and customer were select_related."""
        return cls.from_model(commission, commission.deal, commission.customer)


@strawberry.type(description="A deal a partner registered for a customer.")
class Deal(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    partner_id: strawberry.ID
    product: str
    amount: Decimal
    currency: str
    expected_close_on: date | None
    status: DealStatus
    lost_reason: str
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    customer: Customer
    notes: list[DealNote]
    commission: Commission | None


@strawberry.type(name="CustomerSubscription", description="A paid subscription.")
class CustomerSubscription:
    plan: str
    term_months: int
    converted_at: datetime


@strawberry.type(description="A trial converted to a paid subscription.")
class Conversion:
    customer: Customer
    subscription: CustomerSubscription
    deal: Deal | None
    commission: Commission | None


@strawberry.type(description="The commission rate of a partner tier.")
class TierCommissionRate:
    tier: PartnerTier
    rate_percent: Decimal
    is_default: bool = strawberry.field(description="Not set by a vendor admin yet.")

    @classmethod
    def from_rate(cls, rate: TierRate) -> TierCommissionRate:
        return cls(tier=rate.tier, rate_percent=rate.rate_percent, is_default=rate.is_default)


@strawberry.type(description="The commission rate in force for a partner.")
class PartnerCommissionRate:
    partner_id: strawberry.ID
    rate_percent: Decimal
    is_partner_rate: bool = strawberry.field(
        description="The partner's own rate (else its tier's rate)."
    )


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
