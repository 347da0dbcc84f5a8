"""GraphQL types of a partner's lead management settings: auto-registration and its mode,
auto-accept, the rule sets in force, ignored companies, notification recipients and the history
of settings changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.lead_management import AutoRegistrationMode as AutoRegistrationModeModel
from models.lead_management import IgnoredCompany as IgnoredCompanyModel
from models.lead_management import LeadManagementSettings as SettingsModel
from models.lead_management import LeadSettingsChange as SettingsChangeModel
from models.lead_management import RuleSetOwner as RuleSetOwnerModel
from resolvers.leads import resolvers as resolve
from schema.leads.rule_types import RuleSet
from schema.partners.types import SalesRep, User
from schema.platform.common import OperationErrors, fetch, global_id, optional_global_id
from services.leads.access import can_edit_rules
from services.leads.lead_settings import NotificationRecipients

AutoRegistrationMode = strawberry.enum(AutoRegistrationModeModel, name="AutoRegistrationMode")


@strawberry.type(description="A partner's lead management settings.")
class LeadManagementSettings:
    partner_id: strawberry.ID
    partner_pk: strawberry.Private[int]
    auto_registration_enabled: bool
    mode: AutoRegistrationMode
    auto_accept: bool

    @classmethod
    def from_model(cls, row: SettingsModel) -> LeadManagementSettings:
        return cls(
            partner_id=global_id("Partner", row.partner_id),  # type: ignore[attr-defined]
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
            auto_registration_enabled=row.auto_registration_enabled,
            mode=row.mode,
            auto_accept=row.auto_accept,
        )

    @strawberry.field(
        description="The rules the vendor defines for this partner (read-only to it)."
    )
    async def supplier_rules(self, info: Info) -> RuleSet | None:
        return await _rule_set(info, self.partner_pk, RuleSetOwnerModel.SUPPLIER)

    @strawberry.field(description="The partner's own rules.")
    async def partner_rules(self, info: Info) -> RuleSet | None:
        return await _rule_set(info, self.partner_pk, RuleSetOwnerModel.PARTNER)

    @strawberry.field
    async def ignored_companies(self, info: Info) -> list[str]:
        rows = await fetch(lambda: resolve.ignored_companies(info, self.partner_pk))
        return [row.name for row in rows]


async def _rule_set(info: Info, partner_id: int, owner: RuleSetOwnerModel) -> RuleSet | None:
    _, row = await fetch(lambda: resolve.get_rule_set(info, partner_id, owner))
    if row is None:
        return None
    return RuleSet.from_model(row, can_edit_rules(info.context.viewer, partner_id, owner))


@strawberry.type(description="A change of lead settings other than the rules: who, when, what.")
class LeadSettingsChange:
    kind: str
    details: strawberry.scalars.JSON
    actor_id: strawberry.ID | None
    created_at: datetime

    @classmethod
    def from_model(cls, row: SettingsChangeModel) -> LeadSettingsChange:
        return cls(
            kind=row.kind,
            details=row.details,
            actor_id=optional_global_id("User", row.actor_id),  # type: ignore[attr-defined]
            created_at=row.created_at,
        )


@strawberry.type(description="Who gets an email for each new distributed lead.")
class LeadNotificationRecipients:
    partner_id: strawberry.ID
    users: list[User]
    sales_reps: list[SalesRep]
    supplier_default_user: User | None
    available_users: list[User]
    available_sales_reps: list[SalesRep]

    @classmethod
    def build(cls, result: NotificationRecipients) -> LeadNotificationRecipients:
        return cls(
            partner_id=global_id("Partner", result.partner_id),
            users=[User.from_model(u) for u in result.users],
            sales_reps=[SalesRep.from_model(r) for r in result.sales_reps],
            supplier_default_user=None
            if result.supplier_default_user is None
            else User.from_model(result.supplier_default_user),
            available_users=[User.from_model(u) for u in result.all_users],
            available_sales_reps=[SalesRep.from_model(r) for r in result.all_sales_reps],
        )


@strawberry.type
class IgnoredCompanies:
    names: list[str]

    @classmethod
    def build(cls, rows: list[IgnoredCompanyModel]) -> IgnoredCompanies:
        return cls(names=[row.name for row in rows])


LeadSettingsResult = Annotated[
    LeadManagementSettings | OperationErrors, strawberry.union("LeadSettingsResult")
]
IgnoredCompaniesResult = Annotated[
    IgnoredCompanies | OperationErrors, strawberry.union("IgnoredCompaniesResult")
]
RecipientsResult = Annotated[
    LeadNotificationRecipients | OperationErrors, strawberry.union("LeadRecipientsResult")
]
