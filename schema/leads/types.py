"""GraphQL types of the lead itself: `Lead` (a partner's own lead or one the vendor distributes,
with its registration state and its distribution state), its history and distribution, the lead
fields input, and the lead enums. The consent fields of a lead (its ledger entries, its conflict)
use the consent domain's types, named lazily (schema.consent.types imports this module).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from models.lead_management import DistributionState as DistributionStateModel
from models.lead_management import LeadDistribution as LeadDistributionModel
from models.leads import DistributionStatus as DistributionStatusModel
from models.leads import Lead as LeadModel
from models.leads import LeadSource as LeadSourceModel
from models.leads import RegistrationStatus as RegistrationStatusModel
from resolvers.consent import resolvers as consent_resolve
from resolvers.leads import loaders as lead_loaders
from schema.leads.history_types import LeadHistoryEntry, partner_object
from schema.partners.types import Partner
from schema.platform.common import (
    Connection,
    OperationErrors,
    PageWindow,
    fetch,
    global_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import Node
from services.leads.listing import page_of_rows
from services.leads.service import LeadInput

if TYPE_CHECKING:
    from schema.consent.types import ConsentEntry, LeadConflict

LeadDistributionStatus = strawberry.enum(DistributionStatusModel, name="LeadDistributionStatus")
LeadRegistrationStatus = strawberry.enum(RegistrationStatusModel, name="LeadRegistrationStatus")
LeadSource = strawberry.enum(LeadSourceModel, name="LeadSource")


LeadDistributionState = strawberry.enum(
    DistributionStateModel, name="LeadDistributionState", description="Where one hand-out stands."
)


def optional_partner_id(partner_id: strawberry.ID | None) -> int | None:
    return parse_optional_id(partner_id, "Partner", "partnerId")


@strawberry.type(description="The current hand-out of a distributed lead.")
class LeadDistribution(Node):
    id: strawberry.ID
    state: LeadDistributionState
    auto_accepted: bool
    accept_by: datetime | None
    reject_reason: str
    distributed_at: datetime
    answered_at: datetime | None
    partner_pk: strawberry.Private[int]

    @strawberry.field(description="The partner the lead was handed to.")
    async def partner(self, info: Info) -> Partner | None:
        return await partner_object(info, self.partner_pk)

    @classmethod
    def from_model(cls, row: LeadDistributionModel) -> LeadDistribution:
        return cls(
            id=global_id("LeadDistribution", row.id),
            state=row.state,
            auto_accepted=row.auto_accepted,
            accept_by=row.accept_by,
            reject_reason=row.reject_reason,
            distributed_at=row.distributed_at,
            answered_at=row.answered_at,
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
        )


def distribution_visible(info: Info, row: LeadDistributionModel) -> bool:
    viewer = info.context.viewer
    partner_id: int = row.partner_id  # type: ignore[attr-defined]
    return (
        viewer.is_vendor_staff and viewer.can_see_partner(partner_id)
    ) or viewer.partner_id == partner_id


@strawberry.type(
    description="A lead: a partner's own (registered with the customer's consent or by "
    "auto-registration rules), or one the vendor distributes. Its registration state and its "
    "distribution state are two fields of the one object."
)
class Lead(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
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
    partner_pk: strawberry.Private[int | None]
    model: strawberry.Private[LeadModel]

    @classmethod
    def from_model(cls, lead: LeadModel) -> Lead:
        return cls(
            id=global_id("Lead", lead.id),
            pk=lead.id,
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
            partner_pk=lead.partner_id,  # type: ignore[attr-defined]
            model=lead,
        )

    @strawberry.field(description="True once registered: the customer is the partner's lead.")
    def linked(self) -> bool:
        return self.registration_status is RegistrationStatusModel.REGISTERED

    @strawberry.field(description="The partner holding the lead (null while with the vendor).")
    async def partner(self, info: Info) -> Partner | None:
        return await partner_object(info, self.partner_pk)

    @strawberry.field(description="The lead's history, oldest first (a partner sees its own part).")
    async def history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[LeadHistoryEntry]:
        rows = await fetch(lambda: lead_loaders.history_of(info, self.model))
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: _page(rows, window))
        return to_connection(page, LeadHistoryEntry.from_model)

    @strawberry.field(description="The latest distribution of this lead, if it was distributed.")
    async def distribution(self, info: Info) -> LeadDistribution | None:
        row = await lead_loaders.distribution_of(info, self.model)
        if row is None or not distribution_visible(info, row):
            return None
        return LeadDistribution.from_model(row)

    @strawberry.field(description="The consent ledger entries of this lead, oldest first.")
    async def consent_history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[ConsentEntry, strawberry.lazy("schema.consent.types")]]:
        from schema.consent.types import ConsentEntry as Entry
        from schema.consent.types import show_personal

        rows = await consent_resolve.consent_history(info, self.pk)
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: _page(rows, window))
        show = show_personal(info)
        return to_connection(page, lambda row: Entry.from_model(row, show))

    @strawberry.field(description="The latest registration conflict of this lead, if it had one.")
    async def conflict(
        self, info: Info
    ) -> Annotated[LeadConflict, strawberry.lazy("schema.consent.types")] | None:
        from schema.consent.types import LeadConflict as Conflict

        rows = await consent_resolve.conflicts_of_lead(info, self.pk)
        if not rows:
            return None
        return Conflict.from_model(rows[-1], info.context.viewer.is_vendor_staff)


async def _page(rows: Any, window: PageWindow) -> Any:
    return page_of_rows(rows, window)


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


@strawberry.type(description="Leads just handed to a partner.")
class DistributedLeads:
    partner_pk: strawberry.Private[int]
    leads: list[Lead] = strawberry.field(
        description="The leads of this distribution (at most the ids given, 100)."
    )

    @strawberry.field(description="The partner the leads went to.")
    async def partner(self, info: Info) -> Partner | None:
        return await partner_object(info, self.partner_pk)


LeadResult = Annotated[Lead | OperationErrors, strawberry.union("LeadResult")]
DistributeResult = Annotated[
    DistributedLeads | OperationErrors, strawberry.union("DistributeLeadsResult")
]
