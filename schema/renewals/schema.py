"""The renewals domain's queries and mutations: renewal ownership, upcoming renewals and the
reminder offsets.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from resolvers.renewals import resolvers as resolve
from schema.platform.common import (
    Connection,
    PageWindow,
    connection_of,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
)
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
)


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
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[UpcomingRenewal]:
        page = await fetch(
            lambda: resolve.upcoming_renewals(
                info,
                days,
                parse_optional_id(partner_id, "Partner", "partnerId"),
                PageWindow(first, after, last, before),
            )
        )
        return connection_of(page.page, [UpcomingRenewal.from_data(row) for row in page.rows])

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="A partner's default renewal owner (partner users: their own org).",
    )
    async def partner_renewal_default(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> PartnerRenewalDefault | None:
        data = await fetch(
            lambda: resolve.partner_default(
                info, parse_optional_id(partner_id, "Partner", "partnerId")
            )
        )
        return PartnerRenewalDefault.from_data(data)

    @strawberry.field(permission_classes=[IsAuthenticatedOrActingAs])
    async def customer_renewal_owner(
        self, info: Info, customer_id: strawberry.ID
    ) -> CustomerRenewalOwner | None:
        data = await fetch(
            lambda: resolve.customer_choice(info, parse_id(customer_id, "Customer", "customerId"))
        )
        return CustomerRenewalOwner.from_data(data)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def renewal_reminder_offsets(self, info: Info) -> RenewalReminderOffsets:
        return RenewalReminderOffsets.of(await fetch(lambda: resolve.reminder_offsets(info)))


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
                parse_optional_id(partner_id, "Partner", "partnerId"),
                owner,
                parse_optional_id(contact_user_id, "User", "contactUserId"),
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
                parse_id(customer_id, "Customer", "customerId"),
                owner,
                parse_optional_id(contact_user_id, "User", "contactUserId"),
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
            return RenewalReminderOffsets.of(await resolve.set_reminder_offsets(info, offsets))

        return await mutate(run)
