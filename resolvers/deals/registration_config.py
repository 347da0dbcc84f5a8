"""Deal-registration configuration: settings, custom form fields, the vendor's direct deals and
auto-approval rules (thin calls into services/deals/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from models.deal_registrations import (
    CustomFieldKind,
    DealApprovalRuleVersion,
    DealRegistrationField,
    DealRegistrationSettings,
    DirectDeal,
)
from models.enums import PartnerTier
from resolvers.platform.permissions import viewer_of
from services.deals import approval_rules, custom_field_definitions, direct_deals
from services.deals import registration_config as config
from services.deals.approval_rule_fields import DealConditionInput
from services.deals.approval_rules import DealApprovalExplanation, RuleScope
from services.deals.direct_deals import DirectDealInput
from services.deals.registration_config import RegistrationSettingsChanges
from services.partners.groups import groups_by_ids
from services.platform.pagination import Page, PageWindow

# ---- settings ---------------------------------------------------------------------------------


async def settings(info: Info) -> DealRegistrationSettings:
    return await config.registration_settings(viewer_of(info))


async def update_settings(
    info: Info, changes: RegistrationSettingsChanges
) -> DealRegistrationSettings:
    return await config.update_registration_settings(viewer_of(info), changes)


# ---- custom fields ----------------------------------------------------------------------------


async def fields(info: Info, include_archived: bool) -> list[DealRegistrationField]:
    return await custom_field_definitions.list_fields(viewer_of(info), include_archived)


async def field(info: Info, field_id: int) -> DealRegistrationField:
    return await custom_field_definitions.get_field(viewer_of(info), field_id)


async def create_field(
    info: Info,
    key: str,
    label: str,
    kind: CustomFieldKind,
    choices: Sequence[str] | None,
    required: bool,
) -> DealRegistrationField:
    return await custom_field_definitions.create_field(
        viewer_of(info), key, label, kind, choices, required
    )


async def update_field(
    info: Info,
    field_id: int,
    label: str | None,
    choices: Sequence[str] | None,
    required: bool | None,
) -> DealRegistrationField:
    return await custom_field_definitions.update_field(
        viewer_of(info), field_id, label, choices, required
    )


async def set_field_archived(info: Info, field_id: int, archived: bool) -> DealRegistrationField:
    return await custom_field_definitions.set_field_archived(viewer_of(info), field_id, archived)


async def reorder_fields(info: Info, field_ids: Sequence[int]) -> list[DealRegistrationField]:
    return await custom_field_definitions.reorder_fields(viewer_of(info), field_ids)


# ---- direct deals -----------------------------------------------------------------------------


async def list_direct_deals(
    info: Info, is_open: bool | None, company: str | None, window: PageWindow
) -> Page[DirectDeal]:
    return await direct_deals.list_direct_deals(viewer_of(info), is_open, company, window)


async def direct_deal(info: Info, deal_id: int) -> DirectDeal:
    return await direct_deals.get_direct_deal(viewer_of(info), deal_id)


async def upsert_direct_deal(info: Info, data: DirectDealInput) -> tuple[DirectDeal, bool]:
    return await direct_deals.upsert_direct_deal(viewer_of(info), data)


async def close_direct_deal(info: Info, deal_id: int) -> DirectDeal:
    return await direct_deals.close_direct_deal(viewer_of(info), deal_id)


# ---- auto-approval rules ----------------------------------------------------------------------


async def rule_scope(info: Info, tier: PartnerTier | None, group_id: int | None) -> RuleScope:
    return await approval_rules.rule_scope(viewer_of(info), tier, group_id)


async def latest_rules(scope: RuleScope) -> DealApprovalRuleVersion | None:
    return await approval_rules.latest_rules(scope)


async def rule_history(
    info: Info, scope: RuleScope, window: PageWindow
) -> Page[DealApprovalRuleVersion]:
    return await approval_rules.approval_rule_history(viewer_of(info), scope, window)


async def rule_version(info: Info, version_id: int) -> DealApprovalRuleVersion:
    return await approval_rules.approval_rule_version(viewer_of(info), version_id)


async def current_rule_sets(info: Info) -> list[DealApprovalRuleVersion]:
    return await approval_rules.current_rule_sets(viewer_of(info))


async def save_rules(
    info: Info,
    scope: RuleScope,
    groups: Sequence[Sequence[DealConditionInput]],
    change: str | None,
) -> DealApprovalRuleVersion:
    return await approval_rules.save_approval_rules(viewer_of(info), scope, groups, change)


async def explain(
    info: Info,
    registration_id: int,
    groups: Sequence[Sequence[DealConditionInput]] | None,
) -> DealApprovalExplanation:
    return await approval_rules.explain_deal_approval(viewer_of(info), registration_id, groups)


async def group(info: Info, group_id: int | None) -> Any:
    """A rule scope's partner group (a `PartnerGroup` row of the partners domain), loaded once
    per operation for every row naming it."""
    if group_id is None:
        return None
    loaders = info.context.loaders
    loader = getattr(loaders, "deal_rule_group", None)
    if loader is None:

        async def load(ids: list[int]) -> list[Any]:
            found = {row.id: row for row in await groups_by_ids(ids)}
            return [found.get(i) for i in ids]

        loader = DataLoader[int, Any](load)
        loaders.deal_rule_group = loader
    return await loader.load(group_id)
