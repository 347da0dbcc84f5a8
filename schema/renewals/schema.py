"""Renewal ownership (partner default and per-customer override), upcoming renewals with who
will be told, and the reminder offsets: types, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.renewals import RenewalOwner as RenewalOwnerEnum
from models.renewals import RenewalOwnerChoice as RenewalOwnerChoiceEnum
from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from resolvers.renewals import resolvers as resolve
from schema.partners.types import Customer, User
from schema.platform.common import OperationErrors, PageInfo, fetch, mutate, parse_id
from services.renewals.service import CustomerRenewalChoice as CustomerRenewalChoiceData
from services.renewals.service import OwnerSource as OwnerSourceEnum
from services.renewals.service import PartnerRenewalDefault as PartnerRenewalDefaultData
from services.renewals.service import RecipientKind as RecipientKindEnum
from services.renewals.service import UpcomingRenewal as UpcomingRenewalData

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
            partner_id=strawberry.ID(str(data.partner_id)),
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
            customer_id=strawberry.ID(str(data.customer_id)),
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


@strawberry.type
class UpcomingRenewalEdge:
    cursor: str
    node: UpcomingRenewal


@strawberry.type(description="A page of upcoming renewals, soonest first.")
class UpcomingRenewalConnection:
    edges: list[UpcomingRenewalEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[UpcomingRenewal]:
        return [edge.node for edge in self.edges]


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


def _optional_id(value: strawberry.ID | None, kind: str) -> int | None:
    return None if value is None else parse_id(value, kind)


@strawberry.type
class RenewalQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Renewals in the next `days` days, soonest first, with the owner in force "
        "and exactly who will be told.",
    )
    async def upcoming_renewals(
        self,
        info: Info,
        days: int = 90,
        partner_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> UpcomingRenewalConnection:
        page = await fetch(
            lambda: resolve.upcoming_renewals(
                info, days, _optional_id(partner_id, "Partner"), first, after
            )
        )
        return UpcomingRenewalConnection(
            edges=[
                UpcomingRenewalEdge(cursor=cursor, node=UpcomingRenewal.from_data(row))
                for cursor, row in zip(page.cursors, page.rows, strict=True)
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="A partner's default renewal owner (partner users: their own org).",
    )
    async def partner_renewal_default(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> PartnerRenewalDefault:
        data = await fetch(
            lambda: resolve.partner_default(info, _optional_id(partner_id, "Partner"))
        )
        return PartnerRenewalDefault.from_data(data)

    @strawberry.field(permission_classes=[IsAuthenticatedOrActingAs])
    async def customer_renewal_owner(
        self, info: Info, customer_id: strawberry.ID
    ) -> CustomerRenewalOwner:
        data = await fetch(lambda: resolve.customer_choice(info, parse_id(customer_id, "Customer")))
        return CustomerRenewalOwner.from_data(data)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def renewal_reminder_offsets(self, info: Info) -> RenewalReminderOffsets:
        return RenewalReminderOffsets(offsets=await fetch(lambda: resolve.reminder_offsets(info)))


@strawberry.type
class RenewalMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set the partner's default renewal owner and point of contact (partner "
        "admins for their org, vendor admins and the partner's channel manager).",
    )
    async def set_partner_renewal_default(
        self,
        info: Info,
        owner: RenewalOwner,
        contact_user_id: strawberry.ID | None = None,
        partner_id: strawberry.ID | None = None,
    ) -> PartnerRenewalDefaultResult:
        async def run() -> PartnerRenewalDefault:
            data = await resolve.set_partner_default(
                info,
                _optional_id(partner_id, "Partner"),
                owner,
                _optional_id(contact_user_id, "User"),
            )
            return PartnerRenewalDefault.from_data(data)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Override the renewal owner for one customer: DEFAULT, VENDOR, or PARTNER "
        "with a partner contact.",
    )
    async def set_customer_renewal_owner(
        self,
        info: Info,
        customer_id: strawberry.ID,
        owner: RenewalOwnerChoice,
        contact_user_id: strawberry.ID | None = None,
    ) -> CustomerRenewalOwnerResult:
        async def run() -> CustomerRenewalOwner:
            data = await resolve.set_customer_choice(
                info,
                parse_id(customer_id, "Customer"),
                owner,
                _optional_id(contact_user_id, "User"),
            )
            return CustomerRenewalOwner.from_data(data)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set the days before renewal at which reminders go out (vendor admins).",
    )
    async def set_renewal_reminder_offsets(
        self, info: Info, offsets: list[int]
    ) -> RenewalReminderOffsetsResult:
        async def run() -> RenewalReminderOffsets:
            return RenewalReminderOffsets(offsets=await resolve.set_reminder_offsets(info, offsets))

        return await mutate(run)
