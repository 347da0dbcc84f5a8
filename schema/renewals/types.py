"""The GraphQL types of the renewals domain: renewal ownership (partner default and
per-customer override), upcoming renewals with who will be told, and the reminder offsets.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.platform.context import loaders_of
from resolvers.platform.permissions import IsAuthenticated
from schema.customers.customer import Customer
from schema.partners.types import Partner, User
from schema.platform.common import OperationErrors, global_id
from schema.renewals.enums import (
    RenewalOwner,
    RenewalOwnerChoice,
    RenewalOwnerSource,
    RenewalRecipientKind,
)
from services.renewals.service import CustomerRenewalChoice as CustomerRenewalChoiceData
from services.renewals.service import PartnerRenewalDefault as PartnerRenewalDefaultData
from services.renewals.upcoming import UpcomingRenewal as UpcomingRenewalData

# The singleton row of the installation's renewal reminder offsets has this key.
REMINDER_OFFSETS_KEY = 1


@strawberry.type(description="A partner's default renewal-communication owner.")
class PartnerRenewalDefault:
    id: strawberry.ID = strawberry.field(description="Stable per partner (cacheable).")
    partner_pk: strawberry.Private[int]
    owner: RenewalOwner
    contact: User | None = strawberry.field(
        description="The partner user who gets a copy (vendor-owned) or the notices "
        "(partner-owned)."
    )

    @classmethod
    def from_data(cls, data: PartnerRenewalDefaultData) -> PartnerRenewalDefault:
        return cls(
            id=global_id("PartnerRenewalDefault", data.partner_id),
            partner_pk=data.partner_id,
            owner=data.owner,
            contact=User.from_model(data.contact) if data.contact else None,
        )

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info) -> Partner | None:
        found = await loaders_of(info).partner.load(self.partner_pk)
        return Partner.from_model(found) if found else None


@strawberry.type(description="The renewal owner chosen for one customer.")
class CustomerRenewalOwner:
    id: strawberry.ID = strawberry.field(description="Stable per customer (cacheable).")
    customer_pk: strawberry.Private[int]
    owner: RenewalOwnerChoice
    contact: User | None

    @classmethod
    def from_data(cls, data: CustomerRenewalChoiceData) -> CustomerRenewalOwner:
        return cls(
            id=global_id("CustomerRenewalOwner", data.customer_id),
            customer_pk=data.customer_id,
            owner=data.owner,
            contact=User.from_model(data.contact) if data.contact else None,
        )

    @strawberry.field(description="The customer (you were allowed to see it to ask).")
    async def customer(self, info: Info) -> Customer | None:
        found = await loaders_of(info).customer.load(self.customer_pk)
        return Customer.from_model(found) if found else None


@strawberry.type(description="Someone who receives the renewal notices of a customer.")
class RenewalRecipient:
    email: str
    name: str
    kinds: list[RenewalRecipientKind]
    is_copy: bool = strawberry.field(description="A copy for the partner of the vendor's notice.")


@strawberry.type(description="A renewal in the coming days, who owns it and who will be told.")
class UpcomingRenewal:
    id: strawberry.ID = strawberry.field(description="Stable per customer (cacheable).")
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
            id=global_id("UpcomingRenewal", row.customer.id),
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
    id: strawberry.ID = strawberry.field(description="The installation's one set (cacheable).")
    offsets: list[int]

    @classmethod
    def of(cls, offsets: list[int]) -> RenewalReminderOffsets:
        return cls(id=global_id("RenewalReminderOffsets", REMINDER_OFFSETS_KEY), offsets=offsets)


PartnerRenewalDefaultResult = Annotated[
    PartnerRenewalDefault | OperationErrors, strawberry.union("PartnerRenewalDefaultResult")
]
CustomerRenewalOwnerResult = Annotated[
    CustomerRenewalOwner | OperationErrors, strawberry.union("CustomerRenewalOwnerResult")
]
RenewalReminderOffsetsResult = Annotated[
    RenewalReminderOffsets | OperationErrors, strawberry.union("RenewalReminderOffsetsResult")
]
