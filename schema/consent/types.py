"""GraphQL types of the consent domain: lead registrations, ledger entries, conflicts, enums.

The consent enums are GraphQL copies of the stored ones (the models stay free of GraphQL names).
What a partner reads of a ledger entry or a conflict is cut down here (`ConsentEntry.from_model`,
`LeadConflict.from_model`): only vendor admins see the subject's address and agent, only vendor
staff who holds a customer in conflict.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import consent as consent_models
from models.consent import ConsentLedgerEntry as LedgerRow
from models.consent import LeadConflict as ConflictRow
from models.leads import Lead, RegistrationStatus
from resolvers.consent import resolvers as resolve
from resolvers.platform.permissions import viewer_of
from schema.leads.types import LeadRegistrationStatus
from schema.partners.types import Partner
from schema.platform.common import OperationErrors, global_id, optional_global_id
from schema.platform.node import Node

# GraphQL copies of the consent enums (the stored enums stay free of GraphQL names).
ConsentPurpose = strawberry.enum(
    StrEnum("ConsentPurpose", {m.name: m.value for m in consent_models.ConsentPurpose})
)
ConsentAction = strawberry.enum(
    StrEnum("ConsentAction", {m.name: m.value for m in consent_models.ConsentAction})
)
ConsentSource = strawberry.enum(
    StrEnum("ConsentSource", {m.name: m.value for m in consent_models.ConsentSource})
)
ConflictStatus = strawberry.enum(
    StrEnum("LeadConflictStatus", {m.name: m.value for m in consent_models.ConflictStatus})
)
ConflictResolution = strawberry.enum(
    StrEnum("LeadConflictResolution", {m.name: m.value for m in consent_models.ConflictResolution}),
    description="KEEP_HOLDER: the existing registration stays and the new lead is not "
    "registered. ASK_CUSTOMER: a new consent request goes to the customer, whose approval moves "
    "the registration to the new partner.",
)

GENERIC_CONFLICT_REASON = "The customer is already registered with another partner."


@strawberry.type(name="ConsentLedgerEntry", description="One append-only consent record.")
class ConsentEntry(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    subject_email: str
    purpose: ConsentPurpose  # type: ignore[valid-type]
    action: ConsentAction  # type: ignore[valid-type]
    source: ConsentSource  # type: ignore[valid-type]
    partner_id: strawberry.ID | None
    partner_name: str
    lead_id: strawberry.ID | None
    occurred_at: datetime
    consent_text_version: str
    client_address: str | None = strawberry.field(
        description="Only shown to vendor admins (the subject's personal data)."
    )
    user_agent: str | None = strawberry.field(description="Only shown to vendor admins.")

    @classmethod
    def from_model(cls, row: LedgerRow, show_personal: bool) -> ConsentEntry:
        return cls(
            id=global_id("ConsentLedgerEntry", row.id),
            pk=row.id,
            subject_email=row.subject_email,
            purpose=ConsentPurpose(row.purpose.value),
            action=ConsentAction(row.action.value),
            source=ConsentSource(row.source.value),
            partner_id=optional_global_id("Partner", row.partner_id),
            partner_name=row.partner_name,
            lead_id=optional_global_id("Lead", row.lead_id),
            occurred_at=row.occurred_at,
            consent_text_version=row.consent_text_version,
            client_address=row.client_address if show_personal else None,
            user_agent=row.user_agent if show_personal else None,
        )


def _show_personal(info: Info) -> bool:
    return viewer_of(info).is_vendor_admin


@strawberry.type(description="A registration that collided with another partner's.")
class LeadConflict(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    lead_id: strawberry.ID
    email: str
    reason: str
    status: ConflictStatus  # type: ignore[valid-type]
    resolution: ConflictResolution | None  # type: ignore[valid-type]
    resolution_note: str
    created_at: datetime
    resolved_at: datetime | None
    holder_partner_id: strawberry.Private[int | None]
    holder_lead_id: strawberry.ID | None

    @strawberry.field(description="The partner holding the registration (vendor staff only).")
    async def holder_partner(self, info: Info) -> Partner | None:
        if self.holder_partner_id is None or not viewer_of(info).is_vendor_staff:
            return None
        partner = await info.context.loaders.partner.load(self.holder_partner_id)
        return None if partner is None else Partner.from_model(partner)

    @classmethod
    def from_model(cls, row: ConflictRow, vendor_view: bool) -> LeadConflict:
        holder_lead_id = row.holder_lead_id  # type: ignore[attr-defined]
        return cls(
            id=global_id("LeadConflict", row.id),
            pk=row.id,
            lead_id=global_id("Lead", row.lead_id),  # type: ignore[attr-defined]
            email=row.email,
            reason=row.reason if vendor_view else GENERIC_CONFLICT_REASON,
            status=ConflictStatus(row.status.value),
            resolution=None if row.resolution is None else ConflictResolution(row.resolution.value),
            resolution_note=row.resolution_note if vendor_view else "",
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            holder_partner_id=row.holder_partner_id,  # type: ignore[attr-defined]
            holder_lead_id=(
                global_id("Lead", holder_lead_id) if vendor_view and holder_lead_id else None
            ),
        )


@strawberry.type(description="A lead a partner registered, with the customer's consent state.")
class LeadRegistration(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    email: str
    company: str
    first_name: str
    last_name: str
    notes: str
    locale: str
    status: LeadRegistrationStatus
    registered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    partner_id: strawberry.ID | None
    partner_pk: strawberry.Private[int | None]

    @strawberry.field(description="True once the customer approved: the lead is the partner's.")
    def linked(self) -> bool:
        return self.status is RegistrationStatus.REGISTERED

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        if self.partner_pk is None:
            return None
        partner = await info.context.loaders.partner.load(self.partner_pk)
        return None if partner is None else Partner.from_model(partner)

    @strawberry.field(description="The consent ledger entries of this lead, oldest first.")
    async def consent_history(self, info: Info) -> list[ConsentEntry]:
        rows = await resolve.consent_history(info, self.pk)
        show = _show_personal(info)
        return [ConsentEntry.from_model(row, show) for row in rows]

    @strawberry.field(description="The latest conflict of this lead, if it had one.")
    async def conflict(self, info: Info) -> LeadConflict | None:
        rows = await resolve.conflicts_of_lead(info, self.pk)
        if not rows:
            return None
        return LeadConflict.from_model(rows[-1], viewer_of(info).is_vendor_staff)

    @classmethod
    def from_model(cls, lead: Lead) -> LeadRegistration:
        partner_id = lead.partner_id  # type: ignore[attr-defined]
        return cls(
            id=global_id("Lead", lead.id),
            pk=lead.id,
            email=lead.email,
            company=lead.company,
            first_name=lead.first_name,
            last_name=lead.last_name,
            notes=lead.notes,
            locale=lead.locale,
            status=lead.registration_status,
            registered_at=lead.registered_at,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
            partner_id=optional_global_id("Partner", partner_id),
            partner_pk=partner_id,
        )


LeadRegistrationResult = Annotated[
    LeadRegistration | OperationErrors, strawberry.union("LeadRegistrationResult")
]
LeadConflictResult = Annotated[
    LeadConflict | OperationErrors, strawberry.union("LeadConflictResult")
]


@strawberry.input(description="The customer a partner registers as its lead.")
class RegisterLeadInput:
    email: str
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    notes: str = ""
    locale: str | None = strawberry.field(
        default=None, description="The customer's language (en, nl, de...), if known."
    )
