"""Lead management in GraphQL: partner leads, auto-registration rules, distribution, recipients.

The lead type is called `ManagedLead`; the `leadAssigned` subscription pushes the leads newly
distributed to the caller's partner org, after first replaying the ones still waiting for an answer.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.leads import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, PublicError
from schema.leads.settings_schema import LeadSettingsMutation, LeadSettingsQuery
from schema.leads.types import (
    DistributedLeads,
    DistributeResult,
    LeadDistributionStatus,
    LeadFieldsInput,
    ManagedLead,
    ManagedLeadResult,
    optional_partner_id,
)
from schema.platform.common import (
    Connection,
    PageWindow,
    fetch,
    global_id,
    mutate,
    parse_id,
    to_connection,
)
from schema.platform.node import register_node
from services.platform.errors import ServiceError
from services.platform.pubsub import SubscriberDropped


def _selected_names(selections: Sequence[Any]) -> set[str]:
    """Every field name selected anywhere below these selections (fragments included)."""
    names: set[str] = set()
    for selection in selections:
        name = getattr(selection, "name", None)
        if name:
            names.add(name)
        names |= _selected_names(getattr(selection, "selections", None) or [])
    return names


@strawberry.type
class LeadManagementQuery(LeadSettingsQuery):
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Leads you may see: your org's own and distributed leads; vendor admins "
        "also see the vendor-held ones.",
    )
    async def managed_leads(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        distribution_status: LeadDistributionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ManagedLead]:
        page = await fetch(
            lambda: resolve.list_leads(
                info,
                optional_partner_id(partner_id),
                distribution_status,
                PageWindow(first, after, last, before),
            )
        )
        connection = to_connection(page, ManagedLead.from_model)
        nodes = [edge.node for edge in connection.edges]
        requested = _selected_names(info.selected_fields)
        if nodes and "history" in requested:
            histories = await resolve.lead_histories(info, page.items)
            for node in nodes:
                node.prefetched_history = histories[node.model.id]
        if nodes and "distribution" in requested:
            distributions = await resolve.current_distributions(page.items)
            for node in nodes:
                node.prefetched_distribution = (distributions.get(node.model.id),)
        return connection

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def managed_lead(self, info: Info, id: strawberry.ID) -> ManagedLead:
        lead = await fetch(lambda: resolve.get_lead(info, parse_id(id, "Lead")))
        return ManagedLead.from_model(lead)


@strawberry.type
class LeadMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A partner user records a lead of their org; auto-registration rules run.",
    )
    async def create_lead(self, info: Info, input: LeadFieldsInput) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            return ManagedLead.from_model(await resolve.create_lead(info, input.to_service()))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A partner user edits a lead of their org; auto-registration rules run.",
    )
    async def update_lead(
        self, info: Info, id: strawberry.ID, input: LeadFieldsInput
    ) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            lead = await resolve.update_lead(info, parse_id(id, "Lead"), input.to_service())
            return ManagedLead.from_model(lead)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="A vendor admin records a lead to distribute to partners.",
    )
    async def create_vendor_lead(self, info: Info, input: LeadFieldsInput) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            lead = await resolve.create_vendor_lead(info, input.to_service())
            return ManagedLead.from_model(lead)

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
                partner_id=global_id("Partner", result.partner_id),
                leads=[ManagedLead.from_model(lead) for lead in result.leads],
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Accept a lead distributed to your org."
    )
    async def accept_lead(self, info: Info, id: strawberry.ID) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            return ManagedLead.from_model(await resolve.accept_lead(info, parse_id(id, "Lead")))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Reject a distributed lead with a reason; it returns to the vendor.",
    )
    async def reject_lead(self, info: Info, id: strawberry.ID, reason: str) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            lead = await resolve.reject_lead(info, parse_id(id, "Lead"), reason)
            return ManagedLead.from_model(lead)

        return await mutate(run)


@strawberry.type
class LeadManagementSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Leads distributed to your partner org: first those still waiting for an "
        "answer, then each new one as it is distributed.",
    )
    async def lead_assigned(self, info: Info) -> AsyncGenerator[ManagedLead, None]:
        viewer = info.context.viewer
        if not viewer.is_partner_member:
            raise PublicError(
                "Lead assignments are for partner users.", extensions={"code": "FORBIDDEN"}
            )
        stream: Any = resolve.lead_assignments(info)
        try:
            async for lead in stream:
                yield ManagedLead.from_model(lead)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        except SubscriberDropped:
            raise PublicError(
                "Too many leads arrived at once for this connection: subscribe again to reload.",
                extensions={"code": "RESUBSCRIBE"},
            ) from None
        finally:
            await stream.aclose()


async def _load_lead(info: Info, pk: int) -> ManagedLead:
    return ManagedLead.from_model(await resolve.get_lead(info, pk))


# A lead is one record: its global id is "Lead" whether it is read as a ManagedLead or as a
# LeadRegistration (schema/consent), and node(id) answers the ManagedLead view of it.
register_node("Lead", _load_lead, IsAuthenticated)
