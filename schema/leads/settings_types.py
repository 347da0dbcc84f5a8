"""GraphQL types of a partner's lead management settings: auto-registration and its mode,
auto-accept, the rule sets in force, ignored companies and notification recipients (the history of
settings changes: schema.leads.settings_change_types).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.lead_management import IgnoredCompany as IgnoredCompanyModel
from models.lead_management import LeadManagementSettings as SettingsModel
from models.lead_management import RuleSetOwner as RuleSetOwnerModel
from resolvers.leads import loaders as lead_loaders
from resolvers.leads import resolvers as resolve
from schema.leads.rule_types import RuleSet
from schema.leads.settings_change_types import AutoRegistrationMode, list_connection
from schema.partners.types import Partner, SalesRep, User
from schema.platform.common import (
    Connection,
    OperationErrors,
    PageWindow,
    fetch,
    global_id,
)
from schema.platform.node import Node
from services.leads.access import can_edit_rules
from services.leads.lead_settings import NotificationRecipients


async def _partner(info: Info, partner_pk: int) -> Partner | None:
    partner = await info.context.loaders.partner.load(partner_pk)
    return None if partner is None else Partner.from_model(partner)


async def _user(info: Info, user_pk: int | None) -> User | None:
    user = await lead_loaders.actor(info, user_pk)
    return None if user is None else User.from_model(user)


@strawberry.type(description="A company whose leads are never auto-registered.")
class IgnoredCompany(Node):
    id: strawberry.ID
    name: str
    created_at: datetime
    created_by_pk: strawberry.Private[int | None]

    @strawberry.field(description="Who added it (null if you may not see that user).")
    async def created_by(self, info: Info) -> User | None:
        return await _user(info, self.created_by_pk)

    @classmethod
    def from_model(cls, row: IgnoredCompanyModel) -> IgnoredCompany:
        return cls(
            id=global_id("IgnoredCompany", row.id),
            name=row.name,
            created_at=row.created_at,
            created_by_pk=row.created_by_id,  # type: ignore[attr-defined]
        )


@strawberry.type(
    description="A partner's lead management settings (one object per partner: its id is keyed "
    "by the partner)."
)
class LeadManagementSettings(Node):
    id: strawberry.ID
    partner_pk: strawberry.Private[int]
    auto_registration_enabled: bool
    mode: AutoRegistrationMode
    auto_accept: bool

    @classmethod
    def from_model(cls, row: SettingsModel) -> LeadManagementSettings:
        return cls(
            id=global_id("LeadManagementSettings", row.partner_id),  # type: ignore[attr-defined]
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
            auto_registration_enabled=row.auto_registration_enabled,
            mode=row.mode,
            auto_accept=row.auto_accept,
        )

    @strawberry.field(description="The partner these settings belong to.")
    async def partner(self, info: Info) -> Partner | None:
        return await _partner(info, self.partner_pk)

    @strawberry.field(
        description="The rules the vendor defines for this partner (read-only to it)."
    )
    async def supplier_rules(self, info: Info) -> RuleSet | None:
        return await _rule_set(info, self.partner_pk, RuleSetOwnerModel.SUPPLIER)

    @strawberry.field(description="The partner's own rules.")
    async def partner_rules(self, info: Info) -> RuleSet | None:
        return await _rule_set(info, self.partner_pk, RuleSetOwnerModel.PARTNER)

    @strawberry.field(description="The ignored companies, by name.")
    async def ignored_companies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[IgnoredCompany]:
        rows = await fetch(lambda: resolve.ignored_companies(info, self.partner_pk))
        window = PageWindow(first, after, last, before)
        return list_connection(rows, window, IgnoredCompany.from_model)


async def _rule_set(info: Info, partner_id: int, owner: RuleSetOwnerModel) -> RuleSet | None:
    _, row = await fetch(lambda: resolve.get_rule_set(info, partner_id, owner))
    if row is None:
        return None
    return RuleSet.from_model(row, can_edit_rules(info.context.viewer, partner_id, owner))


@strawberry.type(
    description="Who gets an email for each new distributed lead (one object per partner: its "
    "id is keyed by the partner)."
)
class LeadNotificationRecipients(Node):
    id: strawberry.ID
    partner_pk: strawberry.Private[int]
    result: strawberry.Private[NotificationRecipients]

    @classmethod
    def build(cls, result: NotificationRecipients) -> LeadNotificationRecipients:
        return cls(
            id=global_id("LeadNotificationRecipients", result.partner_id),
            partner_pk=result.partner_id,
            result=result,
        )

    @strawberry.field(description="The partner these recipients belong to.")
    async def partner(self, info: Info) -> Partner | None:
        return await _partner(info, self.partner_pk)

    @strawberry.field(description="The partner users who get the emails.")
    def users(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        window = PageWindow(first, after, last, before)
        return list_connection(self.result.users, window, User.from_model)

    @strawberry.field(description="The sales reps who get the emails.")
    def sales_reps(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SalesRep]:
        window = PageWindow(first, after, last, before)
        return list_connection(self.result.sales_reps, window, SalesRep.from_model)

    @strawberry.field(description="The user the vendor set as the default, if any.")
    def supplier_default_user(self) -> User | None:
        user = self.result.supplier_default_user
        return None if user is None else User.from_model(user)

    @strawberry.field(description="Every user of the partner that could be chosen.")
    def available_users(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        window = PageWindow(first, after, last, before)
        return list_connection(self.result.all_users, window, User.from_model)

    @strawberry.field(description="Every sales rep of the partner that could be chosen.")
    def available_sales_reps(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SalesRep]:
        window = PageWindow(first, after, last, before)
        return list_connection(self.result.all_sales_reps, window, SalesRep.from_model)


LeadSettingsResult = Annotated[
    LeadManagementSettings | OperationErrors, strawberry.union("LeadSettingsResult")
]
RecipientsResult = Annotated[
    LeadNotificationRecipients | OperationErrors, strawberry.union("LeadRecipientsResult")
]
