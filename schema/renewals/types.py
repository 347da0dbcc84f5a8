"""The GraphQL types of the renewals domain: renewal ownership (partner default and
per-customer override), upcoming renewals with who will be told, and the reminder offsets.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.renewals import RenewalOwner as RenewalOwnerEnum
from models.renewals import RenewalOwnerChoice as RenewalOwnerChoiceEnum
from schema.partners.types import Customer, User
from schema.platform.common import OperationErrors, global_id
from services.renewals.service import CustomerRenewalChoice as CustomerRenewalChoiceData
from services.renewals.service import OwnerSource as OwnerSourceEnum
from services.renewals.service import PartnerRenewalDefault as PartnerRenewalDefaultData
from services.renewals.service import RecipientKind as RecipientKindEnum
from services.renewals.upcoming import UpcomingRenewal as UpcomingRenewalData

RenewalOwner = strawberry.enum(RenewalOwnerEnum, name="RenewalOwner")
RenewalOwnerChoice = strawberry.enum(RenewalOwnerChoiceEnum, name="RenewalOwnerChoice")
RenewalOwnerSource = strawberry.enum(OwnerSourceEnum, name="RenewalOwnerSource")
RenewalRecipientKind = strawberry.enum(RecipientKindEnum, name="RenewalRecipientKind")


@strawberry.type(description="A partner's default renewal-communication owner.")
class PartnerRenewalDefault:
    partner_id: strawberry.ID
    owner: RenewalOwner
    contact: User | None = strawberry.field(
        description="The partner user who gets a copy (vendor-owned) or the notices "
        "(partner-owned)."
    )

    @classmethod
    def from_data(cls, data: PartnerRenewalDefaultData) -> PartnerRenewalDefault:
        return cls(
            partner_id=global_id("Partner", data.partner_id),
            owner=data.owner,
            contact=User.from_model(data.contact) if data.contact else None,
        )


@strawberry.type(description="The renewal owner chosen for one customer.")
class CustomerRenewalOwner:
    customer_id: strawberry.ID
    owner: RenewalOwnerChoice
    contact: User | None

    @classmethod
    def from_data(cls, data: CustomerRenewalChoiceData) -> CustomerRenewalOwner:
        return cls(
            customer_id=global_id("Customer", data.customer_id),
            owner=data.owner,
            contact=User.from_model(data.contact) if data.contact else None,
        )


@strawberry.type(description="Someone who receives the renewal notices of a customer.")
class RenewalRecipient:
    email: str
    name: str
    kinds: list[RenewalRecipientKind]
    is_copy: bool = strawberry.field(description="A copy for the partner of the vendor's notice.")


@strawberry.type(description="A renewal in the coming days, who owns it and who will be told.")
class UpcomingRenewal:
    customer: Customer
    renewal_at: datetime
    days_left: int
    owner: RenewalOwner
    owner_source: RenewalOwnerSource
    partner_contact: User | None
    recipients: list[RenewalRecipient]
    next_notice_offset_days: int | None
    next_notice_on: date | None
    notices_sent_offset_days: list[int]

    @classmethod
    def from_data(cls, row: UpcomingRenewalData) -> UpcomingRenewal:
        return cls(
            customer=Customer.from_model(row.customer),
            renewal_at=row.renewal_at,
            days_left=row.days_left,
            owner=row.plan.owner,
            owner_source=row.plan.source,
            partner_contact=User.from_model(row.plan.contact) if row.plan.contact else None,
            recipients=[
                RenewalRecipient(email=r.email, name=r.name, kinds=list(r.kinds), is_copy=r.is_copy)
                for r in row.plan.recipients
            ],
            next_notice_offset_days=row.next_notice_offset,
            next_notice_on=row.next_notice_on,
            notices_sent_offset_days=row.notices_sent,
        )


@strawberry.type(description="Days before the renewal date at which reminders go out.")
class RenewalReminderOffsets:
    offsets: list[int]


PartnerRenewalDefaultResult = Annotated[
    PartnerRenewalDefault | OperationErrors, strawberry.union("PartnerRenewalDefaultResult")
]
CustomerRenewalOwnerResult = Annotated[
    CustomerRenewalOwner | OperationErrors, strawberry.union("CustomerRenewalOwnerResult")
]
RenewalReminderOffsetsResult = Annotated[
    RenewalReminderOffsets | OperationErrors, strawberry.union("RenewalReminderOffsetsResult")
]
