"""GraphQL types of the consent domain: the registerLead payload, ledger entries, conflicts, enums.

A registered lead is the one `Lead` type of schema.leads.types.

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
from resolvers.leads import loaders as lead_loaders
from resolvers.platform.permissions import viewer_of
from schema.leads.types import Lead
from schema.partners.types import Partner
from schema.platform.common import OperationErrors, global_id
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
    partner_name: str = strawberry.field(description="The partner's name when it was recorded.")
    occurred_at: datetime
    consent_text_version: str
    client_address: str | None = strawberry.field(
        description="Only shown to vendor admins (the subject's personal data)."
    )
    user_agent: str | None = strawberry.field(description="Only shown to vendor admins.")
    partner_pk: strawberry.Private[int | None]
    lead_pk: strawberry.Private[int | None]

    @strawberry.field(description="The partner the record names, if you may see it.")
    async def partner(self, info: Info) -> Partner | None:
        if self.partner_pk is None:
            return None
        partner = await info.context.loaders.partner.load(self.partner_pk)
        return None if partner is None else Partner.from_model(partner)

    @strawberry.field(description="The lead the record concerns, if you may see it.")
    async def lead(self, info: Info) -> Lead | None:
        row = await lead_loaders.lead(info, self.lead_pk)
        return None if row is None else Lead.from_model(row)

    @classmethod
    def from_model(cls, row: LedgerRow, show_personal: bool) -> ConsentEntry:
        return cls(
            id=global_id("ConsentLedgerEntry", row.id),
            pk=row.id,
            subject_email=row.subject_email,
            purpose=ConsentPurpose(row.purpose.value),
            action=ConsentAction(row.action.value),
            source=ConsentSource(row.source.value),
            partner_name=row.partner_name,
            partner_pk=row.partner_id,
            lead_pk=row.lead_id,
            occurred_at=row.occurred_at,
            consent_text_version=row.consent_text_version,
            client_address=row.client_address if show_personal else None,
            user_agent=row.user_agent if show_personal else None,
        )


def show_personal(info: Info) -> bool:
    return viewer_of(info).is_vendor_admin


@strawberry.type(description="A registration that collided with another partner's.")
class LeadConflict(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    email: str
    reason: str
    status: ConflictStatus  # type: ignore[valid-type]
    resolution: ConflictResolution | None  # type: ignore[valid-type]
    resolution_note: str
    created_at: datetime
    resolved_at: datetime | None
    lead_pk: strawberry.Private[int]
    holder_partner_id: strawberry.Private[int | None]
    holder_lead_pk: strawberry.Private[int | None]

    @strawberry.field(description="The lead that collided.")
    async def lead(self, info: Info) -> Lead | None:
        row = await lead_loaders.lead(info, self.lead_pk)
        return None if row is None else Lead.from_model(row)

    @strawberry.field(description="The lead holding the registration (vendor staff only).")
    async def holder_lead(self, info: Info) -> Lead | None:
        if self.holder_lead_pk is None or not viewer_of(info).is_vendor_staff:
            return None
        row = await lead_loaders.lead(info, self.holder_lead_pk)
        return None if row is None else Lead.from_model(row)

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
            lead_pk=row.lead_id,  # type: ignore[attr-defined]
            email=row.email,
            reason=row.reason if vendor_view else GENERIC_CONFLICT_REASON,
            status=ConflictStatus(row.status.value),
            resolution=None if row.resolution is None else ConflictResolution(row.resolution.value),
            resolution_note=row.resolution_note if vendor_view else "",
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            holder_partner_id=row.holder_partner_id,  # type: ignore[attr-defined]
            holder_lead_pk=holder_lead_id if vendor_view else None,
        )


@strawberry.type(description="The lead a partner registered, and whether it was already.")
class RegisterLeadPayload:
    lead: Lead
    already_registered: bool = strawberry.field(
        description="True if your partner had registered this customer already: the existing "
        "lead is returned unchanged and no new email goes out."
    )


RegisterLeadResult = Annotated[
    RegisterLeadPayload | OperationErrors, strawberry.union("RegisterLeadResult")
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
