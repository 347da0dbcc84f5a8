"""Customer-approved lead registration, the consent ledger and conflicts (SPEC §2): the Query,
Mutation and Subscription parts of the consent domain (its types are in `schema.consent.types`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from models import consent as consent_models
from resolvers.consent import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, PublicError, viewer_of
from schema.consent.types import (
    ConflictResolution,
    ConflictStatus,
    ConsentAction,
    ConsentEntry,
    ConsentPurpose,
    LeadConflict,
    LeadConflictResult,
    RegisterLeadInput,
    RegisterLeadPayload,
    RegisterLeadResult,
    show_personal,
)
from schema.leads.types import Lead, LeadResult
from schema.platform.common import (
    Connection,
    PageWindow,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import register_node
from services.consent.service import NewLead
from services.platform.errors import ServiceError


@strawberry.type
class ConsentQuery:
    @strawberry.field(
        permission_classes=[IsVendorAdmin], description="The consent ledger (vendor admins)."
    )
    async def consent_ledger(
        self,
        info: Info,
        email: str | None = None,
        purpose: ConsentPurpose | None = None,  # type: ignore[valid-type]
        action: ConsentAction | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ConsentEntry]:
        page = await fetch(
            lambda: resolve.list_ledger(
                info,
                email,
                None if purpose is None else consent_models.ConsentPurpose(purpose.value),
                None if action is None else consent_models.ConsentAction(action.value),
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(page, lambda row: ConsentEntry.from_model(row, True))

    @strawberry.field(
        permission_classes=[IsVendorAdmin],
        description="Everything held about one email address, as JSON (GDPR access request).",
    )
    async def consent_export(self, info: Info, email: str) -> JSON:
        return await fetch(lambda: resolve.export_personal_data(info, email))

    @strawberry.field(
        permission_classes=[IsVendorAdmin], description="Registration conflicts to resolve."
    )
    async def lead_conflicts(
        self,
        info: Info,
        status: ConflictStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[LeadConflict]:
        page = await fetch(
            lambda: resolve.list_conflicts(
                info,
                None if status is None else consent_models.ConflictStatus(status.value),
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(page, lambda row: LeadConflict.from_model(row, True))


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Register a customer as your lead: the customer gets an email asking to "
        "approve (newsletter subscription and the link to your partner org).",
    )
    async def register_lead(self, info: Info, input: RegisterLeadInput) -> RegisterLeadResult:
        async def run() -> RegisterLeadPayload:
            lead, existed = await resolve.register_lead(
                info,
                NewLead(
                    email=input.email,
                    company=input.company,
                    first_name=input.first_name,
                    last_name=input.last_name,
                    notes=input.notes,
                    locale=input.locale or "",
                ),
            )
            return RegisterLeadPayload(lead=Lead.from_model(lead), already_registered=existed)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Send the customer a new consent email; the previous link stops working.",
    )
    async def resend_consent_request(self, info: Info, lead_id: strawberry.ID) -> LeadResult:
        async def run() -> Lead:
            lead = await resolve.resend_consent_request(info, parse_id(lead_id, "Lead", "leadId"))
            return Lead.from_model(lead)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsVendorAdmin])
    async def resolve_lead_conflict(
        self,
        info: Info,
        id: strawberry.ID,
        resolution: ConflictResolution,  # type: ignore[valid-type]
        note: str = "",
    ) -> LeadConflictResult:
        async def run() -> LeadConflict:
            conflict = await resolve.resolve_conflict(
                info,
                parse_id(id, "LeadConflict"),
                consent_models.ConflictResolution(resolution.value),
                note,
            )
            return LeadConflict.from_model(conflict, True)

        return await mutate(run)


@strawberry.type
class ConsentSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Your partner's lead registrations as they change: first the leads waiting "
        "for the customer's answer, then every change (approved, declined, expired...).",
    )
    async def lead_status_changed(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Lead, None]:
        try:
            wanted = parse_optional_id(partner_id, "Partner", "partnerId")
            async for lead in resolve.lead_status_changes(info, wanted):
                yield Lead.from_model(lead)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None


async def _load_ledger_entry(info: Info, pk: int) -> ConsentEntry:
    return ConsentEntry.from_model(await resolve.ledger_entry(info, pk), show_personal(info))


async def _load_conflict(info: Info, pk: int) -> LeadConflict:
    return LeadConflict.from_model(
        await resolve.conflict(info, pk), viewer_of(info).is_vendor_staff
    )


register_node("ConsentLedgerEntry", _load_ledger_entry, IsAuthenticated)
register_node("LeadConflict", _load_conflict, IsAuthenticated)
