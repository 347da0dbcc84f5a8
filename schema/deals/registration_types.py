"""The GraphQL types of deal registrations: `DealRegistration` (a Node), its conflict, its
history entries, the form input, counts per status and the results of the mutations.

A registration's `status` is its status *now*: an approval whose protection has passed reads
EXPIRED before any job wrote it. The holder of a conflict (which partner's registration, which
vendor deal) is shown to vendor staff only; a partner reads the kind and a neutral message.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from models.deal_registrations import DealConflictKind as ConflictKindEnum
from models.deal_registrations import DealRegistration as RegistrationModel
from models.deal_registrations import DealRegistrationEvent as EventModel
from models.deal_registrations import DealRegistrationStatus as StatusEnum
from models.deal_registrations import ExtensionState as ExtensionStateEnum
from resolvers.deals import registrations as resolve
from resolvers.platform.context import loaders_of
from resolvers.platform.permissions import IsAuthenticated, viewer_of
from schema.customers.customer import Customer
from schema.deals.registration_config_types import DirectDeal
from schema.deals.types import Deal
from schema.partners.types import Partner, User
from schema.platform.common import (
    Connection,
    Done,
    OperationErrors,
    PageWindow,
    fetch,
    global_id,
    optional_global_id,
    to_connection,
)
from schema.platform.node import Node
from services.customers.common import utcnow
from services.deals.registration_access import effective_status

DealRegistrationStatus = strawberry.enum(
    StatusEnum, name="DealRegistrationStatus", description="Where a deal registration stands."
)
DealConflictKind = strawberry.enum(
    ConflictKindEnum,
    name="DealConflictKind",
    description="What already covers the company of a registration, if anything.",
)
DealRegistrationExtensionState = strawberry.enum(
    ExtensionStateEnum,
    name="DealRegistrationExtensionState",
    description="The partner's one request for a longer protection.",
)
CONFLICT_MESSAGE = "Another registration or a vendor deal already covers this company."


class DealRegistrationHistoryKindValue(StrEnum):
    DRAFTED = "drafted"
    UPDATED = "updated"
    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"
    AUTO_APPROVED = "auto_approved"
    APPROVED = "approved"
    REJECTED = "rejected"
    INFO_REQUESTED = "info_requested"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_GRANTED = "extension_granted"
    EXTENSION_DECLINED = "extension_declined"
    CUSTOMER_LINKED = "customer_linked"
    EXPIRED = "expired"
    WON = "won"
    LOST = "lost"
    OTHER = "other"


DealRegistrationHistoryKind = strawberry.enum(
    DealRegistrationHistoryKindValue,
    name="DealRegistrationHistoryKind",
    description="What happened to a deal registration.",
)


def _int(details: dict[str, Any], key: str) -> int | None:
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@strawberry.type(description="A value of one of the vendor's own registration fields.")
class DealRegistrationFieldValue:
    key: str
    value: str


@strawberry.type(
    description="What already covers the registration's company. `registration`, `partner` and "
    "the direct deal's fields name the holder: vendor staff only (null for partners)."
)
class DealRegistrationConflict:
    kind: DealConflictKind
    message: str
    registration_pk: strawberry.Private[int | None]
    direct_deal_pk: strawberry.Private[int | None]

    @strawberry.field(description="The other partner's registration (vendor staff).")
    async def registration(self, info: Info) -> DealRegistration | None:
        if self.registration_pk is None or not viewer_of(info).is_vendor_staff:
            return None
        found = await loaders_of(info).deal_registration.load(self.registration_pk)
        return DealRegistration.from_model(found) if found else None

    @strawberry.field(description="The partner holding it (vendor staff).")
    async def partner(self, info: Info) -> Partner | None:
        holder = await self.registration(info)
        if holder is None:
            return None
        found = await loaders_of(info).partner.load(holder.partner_pk)
        return Partner.from_model(found) if found else None

    @strawberry.field(description="The global id of the vendor's direct deal (vendor staff).")
    async def direct_deal_id(self, info: Info) -> strawberry.ID | None:
        if not viewer_of(info).is_vendor_staff:
            return None
        return optional_global_id("DirectDeal", self.direct_deal_pk)

    @strawberry.field(description="The vendor's own open deal that covers it (vendor staff).")
    async def direct_deal(self, info: Info) -> DirectDeal | None:
        found = await resolve.conflict_direct_deal(info, self.direct_deal_pk)
        return DirectDeal.from_model(found) if found else None

    @strawberry.field(description="The direct deal's company and owner (vendor staff).")
    async def direct_deal_summary(self, info: Info) -> str | None:
        found = await resolve.conflict_direct_deal(info, self.direct_deal_pk)
        if found is None:
            return None
        if not found.owner_name:
            return found.company_name
        return f"{found.company_name} ({found.owner_name})"


@strawberry.type(description="One change of a deal registration: who, when, why.")
class DealRegistrationHistoryEntry(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    actor_pk: strawberry.Private[int | None]
    details: strawberry.Private[dict[str, Any]]
    kind: DealRegistrationHistoryKind
    from_status: DealRegistrationStatus | None
    to_status: DealRegistrationStatus
    reason: str = strawberry.field(description="The reason, message or answer given.")
    created_at: datetime

    @classmethod
    def from_model(cls, event: EventModel, details: dict[str, Any]) -> DealRegistrationHistoryEntry:
        kinds = DealRegistrationHistoryKindValue._value2member_map_
        kind = kinds.get(event.kind, DealRegistrationHistoryKindValue.OTHER)
        return cls(
            id=global_id("DealRegistrationHistoryEntry", event.id),
            pk=event.id,
            actor_pk=event.actor_id,  # type: ignore[attr-defined]
            details=details,
            kind=kind,  # type: ignore[arg-type]
            from_status=event.from_status,
            to_status=event.to_status,
            reason=event.reason,
            created_at=event.created_at,
        )

    @strawberry.field(description="Who did it, if you may see that user (null: the system).")
    async def actor(self, info: Info) -> User | None:
        if self.actor_pk is None:
            return None
        found = await loaders_of(info).user.load(self.actor_pk)
        return User.from_model(found) if found else None

    @strawberry.field(description="Done by the system (auto-approval, expiry), not a person.")
    def automatic(self) -> bool:
        return self.actor_pk is None

    @strawberry.field(description="Days of protection given at approval.")
    def protection_days(self) -> int | None:
        return _int(self.details, "protectionDays")

    @strawberry.field(description="Days added by a granted extension.")
    def extension_days(self) -> int | None:
        return _int(self.details, "extensionDays")

    @strawberry.field(description="The auto-approval rule version that approved it.")
    def rule_version(self) -> int | None:
        return _int(self.details, "ruleVersion")

    @strawberry.field(description="The group of that rule version that matched (from 0).")
    def rule_group(self) -> int | None:
        return _int(self.details, "group")

    @strawberry.field(description="The fields an edit changed.")
    def changed_fields(self) -> list[str]:
        fields = self.details.get("fields")
        return [f for f in fields if isinstance(f, str)] if isinstance(fields, list) else []

    @strawberry.field(description="The conflict the (re)submission found, if any.")
    def conflict(self) -> DealRegistrationConflict | None:
        kind = self.details.get("conflictKind")
        if kind not in ConflictKindEnum._value2member_map_ or kind == "none":
            return None
        return DealRegistrationConflict(
            kind=ConflictKindEnum(kind),  # type: ignore[arg-type]
            message=CONFLICT_MESSAGE,
            registration_pk=_int(self.details, "conflictRegistration"),
            direct_deal_pk=_int(self.details, "conflictDirectDeal"),
        )


@strawberry.type(description="A partner's claim on an opportunity, reviewed by the vendor.")
class DealRegistration(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    partner_pk: strawberry.Private[int]
    submitter_pk: strawberry.Private[int | None]
    decider_pk: strawberry.Private[int | None]
    customer_pk: strawberry.Private[int | None]
    deal_pk: strawberry.Private[int | None]
    model: strawberry.Private[RegistrationModel]
    status: DealRegistrationStatus = strawberry.field(
        description="The status now: an approval whose protection passed is EXPIRED."
    )
    company_name: str
    company_domain: str
    contact_name: str
    contact_email: str
    contact_phone: str
    products: str
    amount: Decimal | None
    currency: str
    expected_close_on: date | None
    notes: str
    custom_fields: list[DealRegistrationFieldValue]
    conflict_kind: DealConflictKind
    first_submitted_at: datetime | None
    submitted_at: datetime | None = strawberry.field(description="The latest (re)submission.")
    review_due_at: datetime | None = strawberry.field(
        description="When the review is due (the review target in working days)."
    )
    is_overdue: bool = strawberry.field(description="Submitted and past its review due time.")
    info_request: str = strawberry.field(description="The vendor's latest question.")
    decided_at: datetime | None
    rejection_reason: str
    auto_approved: bool
    protected_until: datetime | None
    extension_state: DealRegistrationExtensionState
    extension_reason: str
    closed_at: datetime | None
    lost_reason: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: RegistrationModel, now: datetime | None = None) -> DealRegistration:
        now = now or utcnow()
        status = effective_status(row, now)
        return cls(
            id=global_id("DealRegistration", row.id),
            pk=row.id,
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
            submitter_pk=row.submitted_by_id,  # type: ignore[attr-defined]
            decider_pk=row.decided_by_id,  # type: ignore[attr-defined]
            customer_pk=row.customer_id,  # type: ignore[attr-defined]
            deal_pk=row.deal_id,  # type: ignore[attr-defined]
            model=row,
            status=status,
            company_name=row.company_name,
            company_domain=row.company_domain,
            contact_name=row.contact_name,
            contact_email=row.contact_email,
            contact_phone=row.contact_phone,
            products=row.products,
            amount=row.amount,
            currency=row.currency,
            expected_close_on=row.expected_close_on,
            notes=row.notes,
            custom_fields=[
                DealRegistrationFieldValue(key=k, value=str(v))
                for k, v in sorted((row.custom_values or {}).items())
            ],
            conflict_kind=row.conflict_kind,
            first_submitted_at=row.first_submitted_at,
            submitted_at=row.submitted_at,
            review_due_at=row.review_due_at,
            is_overdue=bool(
                status is StatusEnum.SUBMITTED and row.review_due_at and row.review_due_at < now
            ),
            info_request=row.info_request,
            decided_at=row.decided_at,
            rejection_reason=row.rejection_reason,
            auto_approved=row.auto_approved,
            protected_until=row.protected_until,
            extension_state=row.extension_state,
            extension_reason=row.extension_reason,
            closed_at=row.closed_at,
            lost_reason=row.lost_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info) -> Partner | None:
        found = await loaders_of(info).partner.load(self.partner_pk)
        return Partner.from_model(found) if found else None

    @strawberry.field(description="Who registered it, if you may see that user.")
    async def submitted_by(self, info: Info) -> User | None:
        if self.submitter_pk is None:
            return None
        found = await loaders_of(info).user.load(self.submitter_pk)
        return User.from_model(found) if found else None

    @strawberry.field(description="Who decided it, if you may see that user.")
    async def decided_by(self, info: Info) -> User | None:
        if self.decider_pk is None:
            return None
        found = await loaders_of(info).user.load(self.decider_pk)
        return User.from_model(found) if found else None

    @strawberry.field(description="The partner's customer it is for, once linked.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_pk is None:
            return None
        found = await loaders_of(info).visible_customer.load(self.customer_pk)
        return Customer.from_model(found) if found else None

    @strawberry.field(description="The deal created when it was approved with a customer.")
    async def deal(self, info: Info) -> Deal | None:
        if self.deal_pk is None:
            return None
        found = await loaders_of(info).deal.load(self.deal_pk)
        return Deal.from_model(found) if found else None

    @strawberry.field(
        description="What covers the company already (null if nothing did at the latest "
        "submission); the holder is named to vendor staff only."
    )
    def conflict(self) -> DealRegistrationConflict | None:
        if self.model.conflict_kind is ConflictKindEnum.NONE:
            return None
        return DealRegistrationConflict(
            kind=self.model.conflict_kind,  # type: ignore[arg-type]
            message=CONFLICT_MESSAGE,
            registration_pk=self.model.conflict_registration_id,  # type: ignore[attr-defined]
            direct_deal_pk=self.model.conflict_direct_deal_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="Every change, oldest first.")
    async def history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DealRegistrationHistoryEntry]:
        window = PageWindow(first, after, last, before)
        loader = loaders_of(info).history_of_deal_registration
        page = await fetch(lambda: loader.load(self.pk, window))
        viewer = viewer_of(info)
        return to_connection(
            page,
            lambda event: DealRegistrationHistoryEntry.from_model(
                event, resolve.details_for(viewer, event)
            ),
        )


@strawberry.input
class DealRegistrationFieldValueInput:
    key: str
    value: str


@strawberry.input(description="The registration form; a field left out stays as it is.")
class DealRegistrationInput:
    company_name: str | None = None
    company_domain: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    products: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_on: date | None = None
    notes: str | None = None
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of your customers this deal is for."
    )
    custom_fields: list[DealRegistrationFieldValueInput] | None = strawberry.field(
        default=None, description="Values of the vendor's fields by key; an empty value clears."
    )


@strawberry.type(description="How many registrations are in one status now.")
class DealRegistrationStatusCount:
    status: DealRegistrationStatus
    count: int


@strawberry.type(description="Counts of the registrations you may see.")
class DealRegistrationCounts:
    by_status: list[DealRegistrationStatusCount]
    overdue: int = strawberry.field(description="Submitted and past their review due time.")
    expiring_soon: int = strawberry.field(
        description="Approved, protection ending within the days asked for."
    )


DealRegistrationResult = Annotated[
    DealRegistration | OperationErrors, strawberry.union("DealRegistrationResult")
]
DoneResult = Annotated[Done | OperationErrors, strawberry.union("DoneResult")]
