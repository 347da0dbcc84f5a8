"""The renewals domain's queries and mutations: renewal ownership, upcoming renewals and the
reminder offsets.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from resolvers.renewals import resolvers as resolve
from schema.platform.common import PageInfo, fetch, mutate, parse_id
from schema.renewals.types import (
    CustomerRenewalOwner,
    CustomerRenewalOwnerResult,
    PartnerRenewalDefault,
    PartnerRenewalDefaultResult,
    RenewalOwner,
    RenewalOwnerChoice,
    RenewalReminderOffsets,
    RenewalReminderOffsetsResult,
    UpcomingRenewal,
    UpcomingRenewalConnection,
    UpcomingRenewalEdge,
)


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
