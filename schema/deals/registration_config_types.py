"""GraphQL types of deal-registration configuration: the settings, the vendor's custom form
fields and the vendor's own sales opportunities (direct deals), with their inputs and results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.deal_registrations import CustomFieldKind as CustomFieldKindModel
from models.deal_registrations import DealRegistrationField as FieldModel
from models.deal_registrations import DealRegistrationSettings as SettingsModel
from models.deal_registrations import DirectDeal as DirectDealModel
from schema.platform.common import OperationErrors, global_id
from schema.platform.node import Node
from services.deals.registration_config import RegistrationSettingsChanges

CustomFieldKind = strawberry.enum(
    CustomFieldKindModel,
    name="RegistrationFieldKind",
    description="TEXT, NUMBER (a decimal), DATE (an ISO date) or CHOICE (one of the choices).",
)


@strawberry.type(
    description="How deal registration works for the vendor: protection, extension, the review "
    "target in working days (in the review team's time zone, without weekends and holidays) and "
    "the reminders before a protection ends."
)
class DealRegistrationSettings(Node):
    id: strawberry.ID
    protection_days: int = strawberry.field(
        description="How long an approval protects a registration, unless the reviewer says."
    )
    extension_days: int = strawberry.field(description="What a granted extension adds.")
    review_target_working_days: int = strawberry.field(
        description="Working days from submission to the review's due time."
    )
    time_zone: str = strawberry.field(description="The review team's IANA time zone.")
    holidays: list[date] = strawberry.field(description="Days off besides weekends, in order.")
    expiry_reminder_offsets: list[int] = strawberry.field(
        description="Days before a protection ends that the partner is reminded, largest first."
    )
    updated_at: datetime

    @classmethod
    def from_model(cls, row: SettingsModel) -> DealRegistrationSettings:
        return cls(
            id=global_id("DealRegistrationSettings", row.id),
            protection_days=row.protection_days,
            extension_days=row.extension_days,
            review_target_working_days=row.review_target_working_days,
            time_zone=row.time_zone,
            holidays=[date.fromisoformat(day) for day in row.holidays],
            expiry_reminder_offsets=list(row.expiry_reminder_offsets),
            updated_at=row.updated_at,
        )


@strawberry.input(description="The settings to change; a value left out stays as it is.")
class DealRegistrationSettingsInput:
    protection_days: int | None = strawberry.field(default=None, description="1 to 730.")
    extension_days: int | None = strawberry.field(default=None, description="1 to 365.")
    review_target_working_days: int | None = strawberry.field(default=None, description="0 to 30.")
    time_zone: str | None = strawberry.field(
        default=None, description="An IANA time zone such as Europe/Amsterdam."
    )
    holidays: list[date] | None = strawberry.field(
        default=None, description="The whole list of holidays (replaces the saved one)."
    )
    expiry_reminder_offsets: list[int] | None = strawberry.field(
        default=None, description="Days before expiry, each 1 to 365, each once, at most 10."
    )

    def to_changes(self) -> RegistrationSettingsChanges:
        return RegistrationSettingsChanges(
            protection_days=self.protection_days,
            extension_days=self.extension_days,
            review_target_working_days=self.review_target_working_days,
            time_zone=self.time_zone,
            holidays=self.holidays,
            expiry_reminder_offsets=self.expiry_reminder_offsets,
        )


@strawberry.type(description="A field the vendor adds to the deal-registration form.")
class DealRegistrationField(Node):
    id: strawberry.ID
    key: str = strawberry.field(
        description="Where a registration's value is kept (customFields); never changes."
    )
    label: str
    kind: CustomFieldKind = strawberry.field(description="Never changes.")
    choices: list[str] = strawberry.field(description="The options of a CHOICE field.")
    required: bool = strawberry.field(description="Needed at submission (not for a draft).")
    position: int = strawberry.field(description="Its place on the form (lower first).")
    archived: bool = strawberry.field(description="No longer asked for; its key stays taken.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: FieldModel) -> DealRegistrationField:
        return cls(
            id=global_id("DealRegistrationField", row.id),
            key=row.key,
            label=row.label,
            kind=row.kind,
            choices=list(row.choices),
            required=row.required,
            position=row.position,
            archived=row.archived,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="The form's active fields in their new order.")
class DealRegistrationFieldList:
    fields: list[DealRegistrationField]


@strawberry.type(
    description="An open (or closed) opportunity of the vendor's own sales team: a partner's "
    "registration for the same company is flagged. Vendor staff only."
)
class DirectDeal(Node):
    id: strawberry.ID
    external_id: str | None = strawberry.field(description="Its id in the vendor's CRM.")
    company_name: str
    company_domain: str = strawberry.field(description="Lowercased, without scheme or www.")
    owner_name: str = strawberry.field(description="Who of the vendor's sales team has it.")
    open: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: DirectDealModel) -> DirectDeal:
        return cls(
            id=global_id("DirectDeal", row.id),
            external_id=row.external_id,
            company_name=row.company_name,
            company_domain=row.company_domain,
            owner_name=row.owner_name,
            open=row.is_open,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="The direct deal after a sync, and whether the sync created it.")
class DirectDealUpsert:
    direct_deal: DirectDeal
    created: bool


SettingsResult = Annotated[
    DealRegistrationSettings | OperationErrors, strawberry.union("DealRegistrationSettingsResult")
]
FieldResult = Annotated[
    DealRegistrationField | OperationErrors, strawberry.union("DealRegistrationFieldResult")
]
FieldListResult = Annotated[
    DealRegistrationFieldList | OperationErrors,
    strawberry.union("DealRegistrationFieldListResult"),
]
DirectDealResult = Annotated[DirectDeal | OperationErrors, strawberry.union("DirectDealResult")]
DirectDealUpsertResult = Annotated[
    DirectDealUpsert | OperationErrors, strawberry.union("DirectDealUpsertResult")
]
