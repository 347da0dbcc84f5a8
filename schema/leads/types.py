"""GraphQL types of the lead itself: `ManagedLead` (a partner's own lead or one the vendor
distributes), its history and distribution, the lead fields input, and the lead enums.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.lead_management import LeadDistribution as LeadDistributionModel
from models.leads import DistributionStatus as DistributionStatusModel
from models.leads import Lead as LeadModel
from models.leads import LeadEvent as LeadEventModel
from models.leads import LeadSource as LeadSourceModel
from models.leads import RegistrationStatus as RegistrationStatusModel
from resolvers.leads import resolvers as resolve
from schema.platform.common import (
    OperationErrors,
    fetch,
    global_id,
    optional_global_id,
    parse_optional_id,
)
from schema.platform.node import Node
from services.leads.service import LeadInput

LeadDistributionStatus = strawberry.enum(DistributionStatusModel, name="LeadDistributionStatus")
LeadRegistrationStatus = strawberry.enum(RegistrationStatusModel, name="LeadRegistrationStatus")
LeadSource = strawberry.enum(LeadSourceModel, name="LeadSource")


def optional_partner_id(partner_id: strawberry.ID | None) -> int | None:
    return parse_optional_id(partner_id, "Partner", "partnerId")


@strawberry.type(description="An entry of a lead's history.")
class LeadHistoryEntry:
    kind: str
    details: strawberry.scalars.JSON
    actor_id: strawberry.ID | None
    partner_id: strawberry.ID | None
    created_at: datetime

    @classmethod
    def from_model(cls, row: LeadEventModel) -> LeadHistoryEntry:
        return cls(
            kind=row.kind,
            details=row.details,
            actor_id=optional_global_id("User", row.actor_id),  # type: ignore[attr-defined]
            partner_id=optional_global_id("Partner", row.partner_id),  # type: ignore[attr-defined]
            created_at=row.created_at,
        )


@strawberry.type(description="The current hand-out of a distributed lead.")
class LeadDistributionInfo:
    partner_id: strawberry.ID
    state: str
    auto_accepted: bool
    accept_by: datetime | None
    reject_reason: str
    distributed_at: datetime
    answered_at: datetime | None


@strawberry.type(description="A lead: a partner's own, or one the vendor distributes.")
class ManagedLead(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    partner_id: strawberry.ID | None
    source: LeadSource
    email: str
    company: str
    first_name: str
    last_name: str
    phone: str
    country: str
    industry: str
    employees: int | None
    estimated_value: str | None
    notes: str
    locale: str
    registration_status: LeadRegistrationStatus
    registered_at: datetime | None
    distribution_status: LeadDistributionStatus
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[LeadModel]
    # Filled by list queries (one query per kind for the whole page) instead of one per lead.
    prefetched_history: strawberry.Private[list[LeadEventModel] | None] = None
    prefetched_distribution: strawberry.Private[tuple[LeadDistributionModel | None] | None] = None

    @classmethod
    def from_model(cls, lead: LeadModel) -> ManagedLead:
        return cls(
            id=global_id("Lead", lead.id),
            pk=lead.id,
            partner_id=optional_global_id("Partner", lead.partner_id),  # type: ignore[attr-defined]
            source=lead.source,
            email=lead.email,
            company=lead.company,
            first_name=lead.first_name,
            last_name=lead.last_name,
            phone=lead.phone,
            country=lead.country,
            industry=lead.industry,
            employees=lead.employees,
            estimated_value=None if lead.estimated_value is None else str(lead.estimated_value),
            notes=lead.notes,
            locale=lead.locale,
            registration_status=lead.registration_status,
            registered_at=lead.registered_at,
            distribution_status=lead.distribution_status,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
            model=lead,
        )

    @strawberry.field(description="The lead's history (a partner sees its own part of it).")
    async def history(self, info: Info) -> list[LeadHistoryEntry]:
        if self.prefetched_history is not None:
            rows = self.prefetched_history
        else:
            rows = await fetch(lambda: resolve.lead_history(info, self.model))
        return [LeadHistoryEntry.from_model(row) for row in rows]

    @strawberry.field(description="The latest distribution of this lead, if it was distributed.")
    async def distribution(self, info: Info) -> LeadDistributionInfo | None:
        if self.prefetched_distribution is not None:
            row = self.prefetched_distribution[0]
        else:
            row = await resolve.current_distribution(self.model)
        viewer = info.context.viewer
        if row is None:
            return None
        partner_id: int = row.partner_id  # type: ignore[attr-defined]
        if not (
            (viewer.is_vendor_staff and viewer.can_see_partner(partner_id))
            or viewer.partner_id == partner_id
        ):
            return None
        return LeadDistributionInfo(
            partner_id=global_id("Partner", row.partner_id),  # type: ignore[attr-defined]
            state=row.state.value,
            auto_accepted=row.auto_accepted,
            accept_by=row.accept_by,
            reject_reason=row.reject_reason,
            distributed_at=row.distributed_at,
            answered_at=row.answered_at,
        )


@strawberry.input
class LeadFieldsInput:
    email: str | None = None
    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    estimated_value: str | None = None
    notes: str | None = None
    locale: str | None = None

    def to_service(self) -> LeadInput:
        return LeadInput(**{name: getattr(self, name) for name in LeadInput.__dataclass_fields__})


@strawberry.type
class DistributedLeads:
    partner_id: strawberry.ID
    leads: list[ManagedLead]


ManagedLeadResult = Annotated[ManagedLead | OperationErrors, strawberry.union("ManagedLeadResult")]
DistributeResult = Annotated[
    DistributedLeads | OperationErrors, strawberry.union("DistributeLeadsResult")
]
