"""GraphQL types of a partner's lead settings history: `LeadSettingsChange`, its kind, and what
changed as typed objects, one small type per kind (the `LeadSettingsChangeDetails` union), with
the users and sales reps it names as objects (batched, under the viewer's tenancy).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from models.lead_management import AutoRegistrationMode as AutoRegistrationModeModel
from models.lead_management import LeadSettingsChange as SettingsChangeModel
from resolvers.leads import loaders as lead_loaders
from resolvers.platform.permissions import PublicError
from schema.leads.history_types import actor_object
from schema.partners.types import SalesRep, User
from schema.platform.common import Connection, PageWindow, global_id, to_connection
from schema.platform.node import Node
from services.leads.listing import page_of_rows
from services.platform.errors import ServiceError

T = TypeVar("T")

AutoRegistrationMode = strawberry.enum(AutoRegistrationModeModel, name="AutoRegistrationMode")


class LeadSettingsChangeKindValue(StrEnum):
    AUTO_REGISTRATION = "auto_registration"
    AUTO_ACCEPT = "auto_accept"
    IGNORED_COMPANY_ADDED = "ignored_company_added"
    IGNORED_COMPANY_REMOVED = "ignored_company_removed"
    NOTIFICATION_RECIPIENTS = "notification_recipients"
    SUPPLIER_DEFAULT_USER = "supplier_default_user"
    OTHER = "other"


LeadSettingsChangeKind = strawberry.enum(
    LeadSettingsChangeKindValue,
    name="LeadSettingsChangeKind",
    description="Which lead setting changed.",
)


def list_connection(rows: Sequence[Any], window: PageWindow, convert: Callable[[Any], T]) -> Any:
    """A connection over rows already in memory (a page of a bounded list)."""
    try:
        page = page_of_rows(rows, window)
    except ServiceError as error:
        raise PublicError(error.message, extensions={"code": error.code.name}) from None
    return to_connection(page, convert)


def _ids(details: dict[str, Any], key: str) -> list[int]:
    values = details.get(key)
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


@strawberry.type(description="Auto-registration was switched on or off, or its mode changed.")
class AutoRegistrationChange:
    enabled: bool | None
    mode: AutoRegistrationMode | None = strawberry.field(description="Null when left unchanged.")


@strawberry.type(description="Auto-accept of distributed leads was switched on or off.")
class AutoAcceptChange:
    enabled: bool | None


@strawberry.type(description="A company was added to or removed from the ignore list.")
class IgnoredCompanyChange:
    name: str | None


@strawberry.type(description="Who gets an email for each new distributed lead, as set then.")
class NotificationRecipientsChange:
    user_pks: strawberry.Private[list[int]]
    sales_rep_pks: strawberry.Private[list[int]]

    @strawberry.field(description="The partner users chosen (those you may see).")
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        found = await asyncio.gather(*(lead_loaders.actor(info, pk) for pk in self.user_pks))
        rows = [user for user in found if user is not None]
        return list_connection(rows, PageWindow(first, after, last, before), User.from_model)

    @strawberry.field(description="The sales reps chosen (those you may see).")
    async def sales_reps(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SalesRep]:
        reps = (lead_loaders.sales_rep(info, pk) for pk in self.sales_rep_pks)
        found = await asyncio.gather(*reps)
        rows = [rep for rep in found if rep is not None]
        return list_connection(rows, PageWindow(first, after, last, before), SalesRep.from_model)


@strawberry.type(description="The vendor nominated (or cleared) the partner's default lead owner.")
class SupplierDefaultUserChange:
    user_pk: strawberry.Private[int | None]

    @strawberry.field(description="The user nominated (null when cleared or not yours to see).")
    async def user(self, info: Info) -> User | None:
        return await actor_object(info, self.user_pk)


LeadSettingsChangeDetails = Annotated[
    AutoRegistrationChange
    | AutoAcceptChange
    | IgnoredCompanyChange
    | NotificationRecipientsChange
    | SupplierDefaultUserChange,
    strawberry.union("LeadSettingsChangeDetails", description="What changed, by kind."),
]


def typed_change(kind: LeadSettingsChangeKindValue, details: dict[str, Any]) -> Any:
    """The typed details of a settings change, from what was stored."""
    kinds = LeadSettingsChangeKindValue
    if kind is kinds.AUTO_REGISTRATION:
        mode = details.get("mode")
        known = mode in AutoRegistrationModeModel._value2member_map_
        enabled = details.get("auto_registration_enabled")
        return AutoRegistrationChange(
            enabled=enabled if isinstance(enabled, bool) else None,
            mode=AutoRegistrationModeModel(mode) if known else None,
        )
    if kind is kinds.AUTO_ACCEPT:
        enabled = details.get("auto_accept")
        return AutoAcceptChange(enabled=enabled if isinstance(enabled, bool) else None)
    if kind in (kinds.IGNORED_COMPANY_ADDED, kinds.IGNORED_COMPANY_REMOVED):
        name = details.get("name")
        return IgnoredCompanyChange(name=name if isinstance(name, str) else None)
    if kind is kinds.NOTIFICATION_RECIPIENTS:
        return NotificationRecipientsChange(
            user_pks=_ids(details, "user_ids"), sales_rep_pks=_ids(details, "sales_rep_ids")
        )
    if kind is kinds.SUPPLIER_DEFAULT_USER:
        user_pk = details.get("user_id")
        return SupplierDefaultUserChange(user_pk=user_pk if isinstance(user_pk, int) else None)
    return None


@strawberry.type(description="A change of lead settings other than the rules: who, when, what.")
class LeadSettingsChange(Node):
    id: strawberry.ID
    kind: LeadSettingsChangeKind
    details: LeadSettingsChangeDetails | None = strawberry.field(
        description="What changed, typed by kind (null for a kind this API does not know)."
    )
    created_at: datetime
    actor_pk: strawberry.Private[int | None]

    @strawberry.field(description="Who changed it (null if you may not see that user).")
    async def actor(self, info: Info) -> User | None:
        return await actor_object(info, self.actor_pk)

    @classmethod
    def from_model(cls, row: SettingsChangeModel) -> LeadSettingsChange:
        known = row.kind in LeadSettingsChangeKindValue._value2member_map_
        kind = LeadSettingsChangeKindValue(row.kind) if known else LeadSettingsChangeKindValue.OTHER
        details = row.details if isinstance(row.details, dict) else {}
        return cls(
            id=global_id("LeadSettingsChange", row.id),
            kind=kind,
            details=typed_change(kind, details),
            created_at=row.created_at,
            actor_pk=row.actor_id,  # type: ignore[attr-defined]
        )
