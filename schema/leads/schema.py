"""Lead management in GraphQL: partner leads, auto-registration rules, distribution, recipients.

One `Lead` type serves every operation (`leads`, `lead`, `createLead`, `updateLead`, `registerLead`
...); the `leadAssigned` subscription pushes the leads newly distributed to the caller's partner
org, after first replaying the ones still waiting for an answer.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers.leads import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, PublicError
from schema.leads.history_types import LeadHistoryEntry
from schema.leads.settings_schema import LeadSettingsMutation, LeadSettingsQuery
from schema.leads.types import (
    DistributedLeads,
    DistributeResult,
    Lead,
    LeadDistribution,
    LeadDistributionStatus,
    LeadFieldsInput,
    LeadRegistrationStatus,
    LeadResult,
    LeadSource,
    optional_partner_id,
)
from schema.platform.common import (
    Connection,
    PageWindow,
    UpdatedSince,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from schema.platform.node import register_node
from services.leads.service import LeadFilters
from services.platform.errors import ServiceError
from services.platform.pubsub import SubscriberDropped


@strawberry.type
class LeadManagementQuery(LeadSettingsQuery):
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Leads you may see: a partner its own org's (registered or distributed), "
        "channel managers their partners', vendor admins all, also the vendor-held ones. "
        "source: PARTNER gives the leads partners registered themselves.",
    )
    async def leads(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        lead_source: Annotated[LeadSource | None, strawberry.argument(name="source")] = None,
        registration_status: LeadRegistrationStatus | None = None,
        distribution_status: LeadDistributionStatus | None = None,
        email: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Lead]:
        page = await fetch(
            lambda: resolve.list_leads(
                info,
                optional_partner_id(partner_id),
                distribution_status,
                PageWindow(first, after, last, before, updated_since),
                LeadFilters(
                    source=lead_source, registration_status=registration_status, email=email
                ),
            )
        )
        return to_connection(page, Lead.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="One lead by its id; null and an error if it is missing or not yours to see.",
    )
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        lead = await fetch(lambda: resolve.get_lead(info, parse_id(id, "Lead")))
        return Lead.from_model(lead)


@strawberry.type
class LeadMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A partner user records a lead of their org; auto-registration rules run.",
    )
    async def create_lead(self, info: Info, input: LeadFieldsInput) -> LeadResult:
        async def run() -> Lead:
            return Lead.from_model(await resolve.create_lead(info, input.to_service()))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A partner user edits a lead of their org; auto-registration rules run.",
    )
    async def update_lead(
        self, info: Info, id: strawberry.ID, input: LeadFieldsInput
    ) -> LeadResult:
        async def run() -> Lead:
            lead = await resolve.update_lead(info, parse_id(id, "Lead"), input.to_service())
            return Lead.from_model(lead)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="A vendor admin records a lead to distribute to partners.",
    )
    async def create_vendor_lead(self, info: Info, input: LeadFieldsInput) -> LeadResult:
        async def run() -> Lead:
            lead = await resolve.create_vendor_lead(info, input.to_service())
            return Lead.from_model(lead)

        return await mutate(run)


@strawberry.type
class LeadManagementMutation(LeadMutation, LeadSettingsMutation):
    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Distribute vendor leads to a partner, optionally with an accept-by deadline.",
    )
    async def distribute_leads(
        self,
        info: Info,
        lead_ids: list[strawberry.ID],
        partner_id: strawberry.ID,
        accept_by: datetime | None = None,
    ) -> DistributeResult:
        async def run() -> DistributedLeads:
            result = await resolve.distribute_leads(
                info,
                [parse_id(i, "Lead", "leadIds") for i in lead_ids],
                parse_id(partner_id, "Partner", "partnerId"),
                accept_by,
            )
            return DistributedLeads(
                partner_pk=result.partner_id,
                leads=[Lead.from_model(lead) for lead in result.leads],
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Accept a lead distributed to your org."
    )
    async def accept_lead(self, info: Info, id: strawberry.ID) -> LeadResult:
        async def run() -> Lead:
            return Lead.from_model(await resolve.accept_lead(info, parse_id(id, "Lead")))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Reject a distributed lead with a reason; it returns to the vendor.",
    )
    async def reject_lead(self, info: Info, id: strawberry.ID, reason: str) -> LeadResult:
        async def run() -> Lead:
            lead = await resolve.reject_lead(info, parse_id(id, "Lead"), reason)
            return Lead.from_model(lead)

        return await mutate(run)


@strawberry.type
class LeadManagementSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Leads distributed to your partner org: first those still waiting for an "
        "answer, then each new one as it is distributed.",
    )
    async def lead_assigned(self, info: Info) -> AsyncGenerator[Lead, None]:
        viewer = info.context.viewer
        if not viewer.is_partner_member:
            raise PublicError(
                "Lead assignments are for partner users.", extensions={"code": "FORBIDDEN"}
            )
        stream: Any = resolve.lead_assignments(info)
        try:
            async for lead in stream:
                yield Lead.from_model(lead)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        except SubscriberDropped:
            raise PublicError(
                "Too many leads arrived at once for this connection: subscribe again to reload.",
                extensions={"code": "RESUBSCRIBE"},
            ) from None
        finally:
            await stream.aclose()


async def _load_lead(info: Info, pk: int) -> Lead:
    return Lead.from_model(await fetch(lambda: resolve.get_lead(info, pk)))


async def _load_history_entry(info: Info, pk: int) -> LeadHistoryEntry:
    return LeadHistoryEntry.from_model(await resolve.history_entry(info, pk))


async def _load_distribution(info: Info, pk: int) -> LeadDistribution:
    return LeadDistribution.from_model(await resolve.distribution(info, pk))


register_node("Lead", _load_lead, IsAuthenticated)
register_node("LeadHistoryEntry", _load_history_entry, IsAuthenticated)
register_node("LeadDistribution", _load_distribution, IsAuthenticated)
