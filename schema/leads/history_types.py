"""GraphQL types of a lead's history: `LeadHistoryEntry`, its kind, and its details as typed
objects, one small type per kind (the `LeadHistoryDetails` union), with links as objects (the
lead, the partner, the hand-out or the conflict an entry is about), each loaded in batches and
under the viewer's tenancy. A partner reads the details already cut down for it by the service
(`partner_safe_details`): what would name another partner reads as null.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from models.consent import ConflictResolution as ResolutionModel
from models.lead_management import RuleSetOwner as OwnerModel
from models.leads import LeadEvent as LeadEventModel
from models.leads import RegistrationStatus as RegistrationStatusModel
from resolvers.consent import resolvers as consent_resolve
from resolvers.leads import loaders as lead_loaders
from resolvers.platform.permissions import viewer_of
from schema.partners.types import Partner, User
from schema.platform.common import global_id
from schema.platform.node import Node

if TYPE_CHECKING:
    from schema.consent.types import ConflictResolution, LeadConflict
    from schema.leads.rule_types import RuleSetOwner
    from schema.leads.types import Lead, LeadDistribution, LeadRegistrationStatus


class LeadHistoryKindValue(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    AUTO_REGISTERED = "auto_registered"
    AUTO_REGISTRATION_SKIPPED = "auto_registration_skipped"
    CONSENT_REQUESTED = "consent_requested"
    CONSENT_RESENT = "consent_resent"
    CONSENT_APPROVED = "consent_approved"
    CONSENT_DECLINED = "consent_declined"
    CONSENT_EXPIRED = "consent_expired"
    REGISTRATION_CONFLICT = "registration_conflict"
    CONFLICT_RESOLVED = "conflict_resolved"
    REGISTRATION_MOVED = "registration_moved"
    DISTRIBUTED = "distributed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETURNED = "returned"
    OTHER = "other"


LeadHistoryKind = strawberry.enum(
    LeadHistoryKindValue, name="LeadHistoryKind", description="What happened to a lead."
)

LazyLead = Annotated["Lead", strawberry.lazy("schema.leads.types")]
LazyDistribution = Annotated["LeadDistribution", strawberry.lazy("schema.leads.types")]
LazyRegistrationStatus = Annotated["LeadRegistrationStatus", strawberry.lazy("schema.leads.types")]
LazyRuleSetOwner = Annotated["RuleSetOwner", strawberry.lazy("schema.leads.rule_types")]
LazyConflict = Annotated["LeadConflict", strawberry.lazy("schema.consent.types")]
LazyResolution = Annotated["ConflictResolution", strawberry.lazy("schema.consent.types")]


async def partner_object(info: Info, partner_pk: int | None) -> Partner | None:
    """The partner, if the viewer may see it (batched)."""
    if partner_pk is None:
        return None
    partner = await info.context.loaders.partner.load(partner_pk)
    return None if partner is None else Partner.from_model(partner)


async def actor_object(info: Info, user_pk: int | None) -> User | None:
    """The user, if the viewer may see that user (batched)."""
    user = await lead_loaders.actor(info, user_pk)
    return None if user is None else User.from_model(user)


def _int(details: dict[str, Any], key: str) -> int | None:
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(details: dict[str, Any], key: str) -> str | None:
    value = details.get(key)
    return value if isinstance(value, str) else None


def _time(details: dict[str, Any], key: str) -> datetime | None:
    value = details.get(key)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _enum(enum_type: type[StrEnum], value: Any) -> Any:
    return enum_type(value) if value in enum_type._value2member_map_ else None


async def _distribution(info: Info, distribution_pk: int | None) -> LeadDistribution | None:
    from schema.leads.types import LeadDistribution as Distribution

    row = await lead_loaders.distribution(info, distribution_pk)
    return None if row is None else Distribution.from_model(row)


@strawberry.type(description="Which fields of the lead were changed.")
class LeadUpdatedDetails:
    fields: list[str]


@strawberry.type(description="A rule set's group matched the lead, which was registered.")
class LeadAutoRegisteredDetails:
    rule_set: LazyRuleSetOwner | None
    version: int | None = strawberry.field(description="The rule set version that matched.")
    group_index: int | None = strawberry.field(description="The group that matched (from 0).")


@strawberry.type(description="A rule matched, but the company is on the ignore list.")
class LeadAutoRegistrationSkippedDetails:
    reason: str | None
    company: str | None
    rule_set: LazyRuleSetOwner | None
    version: int | None
    group_index: int | None


@strawberry.type(description="The customer was asked for consent.")
class ConsentRequestedDetails:
    email: str | None = strawberry.field(description="The address the request went to.")


@strawberry.type(description="The consent request was sent again.")
class ConsentResentDetails:
    previous_status: LazyRegistrationStatus | None
    superseded_requests: int | None = strawberry.field(
        description="How many pending requests the new one replaced."
    )


@strawberry.type(description="The customer approved: the lead is registered.")
class ConsentApprovedDetails:
    registered_at: datetime | None


@strawberry.type(description="The customer did not answer in time.")
class ConsentExpiredDetails:
    expires_at: datetime | None


@strawberry.type(description="Another partner holds the customer inside the protection window.")
class RegistrationConflictDetails:
    reason: str | None
    conflict_pk: strawberry.Private[int | None]
    lead_pk: strawberry.Private[int]

    @strawberry.field(description="The conflict this opened (as the viewer may see it).")
    async def conflict(self, info: Info) -> LazyConflict | None:
        from schema.consent.types import LeadConflict as Conflict

        if self.conflict_pk is None:
            return None
        rows = await consent_resolve.conflicts_of_lead(info, self.lead_pk)
        for row in rows:
            if row.id == self.conflict_pk:
                return Conflict.from_model(row, viewer_of(info).is_vendor_staff)
        return None


@strawberry.type(description="The vendor settled a registration conflict.")
class ConflictResolvedDetails:
    resolution: LazyResolution | None
    note: str | None = strawberry.field(description="The vendor's note (vendor staff only).")


@strawberry.type(
    description="The customer chose another partner: the registration moved away from this "
    "lead (where it went is for the vendor only)."
)
class RegistrationMovedDetails:
    to_lead_pk: strawberry.Private[int | None]
    to_partner_pk: strawberry.Private[int | None]

    @strawberry.field(description="The lead that holds the registration now.")
    async def to_lead(self, info: Info) -> LazyLead | None:
        from schema.leads.types import Lead as LeadType

        row = await lead_loaders.lead(info, self.to_lead_pk)
        return None if row is None else LeadType.from_model(row)

    @strawberry.field(description="The partner that holds the registration now.")
    async def to_partner(self, info: Info) -> Partner | None:
        return await partner_object(info, self.to_partner_pk)


@strawberry.type(description="The lead was handed to a partner.")
class LeadDistributedDetails:
    accept_by: datetime | None = strawberry.field(description="Null when accepted automatically.")
    distribution_pk: strawberry.Private[int | None]

    @strawberry.field(description="The hand-out.")
    async def distribution(self, info: Info) -> LazyDistribution | None:
        return await _distribution(info, self.distribution_pk)


@strawberry.type(description="The partner accepted the lead (or it was accepted automatically).")
class LeadAcceptedDetails:
    auto: bool
    distribution_pk: strawberry.Private[int | None]

    @strawberry.field(description="The hand-out accepted.")
    async def distribution(self, info: Info) -> LazyDistribution | None:
        return await _distribution(info, self.distribution_pk)


@strawberry.type(description="The partner rejected the lead.")
class LeadRejectedDetails:
    reason: str | None
    distribution_pk: strawberry.Private[int | None]

    @strawberry.field(description="The hand-out rejected.")
    async def distribution(self, info: Info) -> LazyDistribution | None:
        return await _distribution(info, self.distribution_pk)


@strawberry.type(description="The lead went back to the vendor (e.g. its deadline passed).")
class LeadReturnedDetails:
    reason: str | None
    accept_by: datetime | None
    distribution_pk: strawberry.Private[int | None]

    @strawberry.field(description="The hand-out returned.")
    async def distribution(self, info: Info) -> LazyDistribution | None:
        return await _distribution(info, self.distribution_pk)


LeadHistoryDetails = Annotated[
    LeadUpdatedDetails
    | LeadAutoRegisteredDetails
    | LeadAutoRegistrationSkippedDetails
    | ConsentRequestedDetails
    | ConsentResentDetails
    | ConsentApprovedDetails
    | ConsentExpiredDetails
    | RegistrationConflictDetails
    | ConflictResolvedDetails
    | RegistrationMovedDetails
    | LeadDistributedDetails
    | LeadAcceptedDetails
    | LeadRejectedDetails
    | LeadReturnedDetails,
    strawberry.union("LeadHistoryDetails", description="What a history entry says, by kind."),
]


def typed_details(kind: LeadHistoryKindValue, row: LeadEventModel) -> Any:
    """The typed details of an event, from its stored (and for a partner, cut down) details."""
    d: dict[str, Any] = row.details if isinstance(row.details, dict) else {}
    kinds = LeadHistoryKindValue
    if kind is kinds.UPDATED:
        fields = d.get("fields")
        names = [str(name) for name in fields] if isinstance(fields, list) else []
        return LeadUpdatedDetails(fields=names)
    if kind is kinds.AUTO_REGISTERED:
        return LeadAutoRegisteredDetails(
            rule_set=_enum(OwnerModel, d.get("rule_set")),
            version=_int(d, "version"),
            group_index=_int(d, "group_index"),
        )
    if kind is kinds.AUTO_REGISTRATION_SKIPPED:
        return LeadAutoRegistrationSkippedDetails(
            reason=_text(d, "reason"),
            company=_text(d, "company"),
            rule_set=_enum(OwnerModel, d.get("rule_set")),
            version=_int(d, "version"),
            group_index=_int(d, "group_index"),
        )
    if kind is kinds.CONSENT_REQUESTED:
        return ConsentRequestedDetails(email=_text(d, "email"))
    if kind is kinds.CONSENT_RESENT:
        return ConsentResentDetails(
            previous_status=_enum(RegistrationStatusModel, d.get("previous_status")),
            superseded_requests=_int(d, "superseded_requests"),
        )
    if kind is kinds.CONSENT_APPROVED:
        return ConsentApprovedDetails(registered_at=_time(d, "registered_at"))
    if kind is kinds.CONSENT_EXPIRED:
        return ConsentExpiredDetails(expires_at=_time(d, "expires_at"))
    if kind is kinds.REGISTRATION_CONFLICT:
        return RegistrationConflictDetails(
            reason=_text(d, "reason"),
            conflict_pk=_int(d, "conflict_id"),
            lead_pk=row.lead_id,  # type: ignore[attr-defined]
        )
    if kind is kinds.CONFLICT_RESOLVED:
        from schema.consent.types import ConflictResolution as Resolution

        resolution = _enum(ResolutionModel, d.get("resolution"))
        return ConflictResolvedDetails(
            resolution=None if resolution is None else Resolution(resolution.value),
            note=_text(d, "note"),
        )
    if kind is kinds.REGISTRATION_MOVED:
        return RegistrationMovedDetails(
            to_lead_pk=_int(d, "to_lead_id"), to_partner_pk=_int(d, "to_partner_id")
        )
    return _hand_out_details(kind, d)


def _hand_out_details(kind: LeadHistoryKindValue, d: dict[str, Any]) -> Any:
    distribution_pk = _int(d, "distribution_id")
    if kind is LeadHistoryKindValue.DISTRIBUTED:
        return LeadDistributedDetails(
            accept_by=_time(d, "accept_by"), distribution_pk=distribution_pk
        )
    if kind is LeadHistoryKindValue.ACCEPTED:
        return LeadAcceptedDetails(auto=d.get("auto") is True, distribution_pk=distribution_pk)
    if kind is LeadHistoryKindValue.REJECTED:
        return LeadRejectedDetails(reason=_text(d, "reason"), distribution_pk=distribution_pk)
    if kind is LeadHistoryKindValue.RETURNED:
        return LeadReturnedDetails(
            reason=_text(d, "reason"),
            accept_by=_time(d, "accept_by"),
            distribution_pk=distribution_pk,
        )
    return None


@strawberry.type(description="An entry of a lead's history.")
class LeadHistoryEntry(Node):
    id: strawberry.ID
    kind: LeadHistoryKind
    details: LeadHistoryDetails | None = strawberry.field(
        description="What the entry says, typed by kind (null for kinds that say nothing more)."
    )
    created_at: datetime
    actor_pk: strawberry.Private[int | None]
    partner_pk: strawberry.Private[int | None]

    @strawberry.field(description="Who did it (null for the system or a user you may not see).")
    async def actor(self, info: Info) -> User | None:
        return await actor_object(info, self.actor_pk)

    @strawberry.field(description="The partner the entry concerns, if you may see it.")
    async def partner(self, info: Info) -> Partner | None:
        return await partner_object(info, self.partner_pk)

    @classmethod
    def from_model(cls, row: LeadEventModel) -> LeadHistoryEntry:
        known = row.kind in LeadHistoryKindValue._value2member_map_
        kind = LeadHistoryKindValue(row.kind) if known else LeadHistoryKindValue.OTHER
        return cls(
            id=global_id("LeadHistoryEntry", row.id),
            kind=kind,
            details=typed_details(kind, row),
            created_at=row.created_at,
            actor_pk=row.actor_id,  # type: ignore[attr-defined]
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
        )
