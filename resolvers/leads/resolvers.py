"""Lead management: thin calls from GraphQL to the lead management and distribution services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from strawberry.types import Info

from models.lead_management import (
    AutoRegistrationMode,
    IgnoredCompany,
    LeadDistribution,
    LeadManagementSettings,
    LeadSettingsChange,
    RuleSetOwner,
    RuleSetVersion,
)
from models.leads import DistributionStatus, Lead, LeadEvent
from resolvers.platform.permissions import viewer_of
from services.leads import answers as lead_answers
from services.leads import deadlines as lead_deadlines
from services.leads import distribution as lead_distribution
from services.leads import ignored_companies as lead_ignored_companies
from services.leads import lead_settings
from services.leads import records as lead_records
from services.leads import rule_sets as lead_rule_sets
from services.leads import service as lead_management
from services.leads.rules import Condition
from services.platform.pagination import Page, PageWindow
from services.platform.pubsub import PubSub


def _pubsub(info: Info) -> PubSub | None:
    return getattr(info.context.request.app.state, "pubsub", None)


async def get_settings(info: Info, partner_id: int | None) -> LeadManagementSettings:
    return await lead_settings.get_settings(viewer_of(info), partner_id)


async def set_auto_registration(
    info: Info, partner_id: int | None, enabled: bool, mode: AutoRegistrationMode | None
) -> LeadManagementSettings:
    return await lead_settings.set_auto_registration(viewer_of(info), partner_id, enabled, mode)


async def set_auto_accept(
    info: Info, partner_id: int | None, enabled: bool
) -> LeadManagementSettings:
    return await lead_settings.set_auto_accept(viewer_of(info), partner_id, enabled)


async def settings_history(
    info: Info, partner_id: int | None, window: PageWindow
) -> Page[LeadSettingsChange]:
    return await lead_settings.settings_history(viewer_of(info), partner_id, window)


async def get_rule_set(
    info: Info, partner_id: int | None, owner: RuleSetOwner
) -> tuple[int, RuleSetVersion | None]:
    return await lead_rule_sets.get_rule_set(viewer_of(info), partner_id, owner)


async def rule_set_history(
    info: Info, partner_id: int | None, owner: RuleSetOwner, window: PageWindow
) -> Page[RuleSetVersion]:
    return await lead_rule_sets.rule_set_history(viewer_of(info), partner_id, owner, window)


async def rule_set_version(info: Info, version_id: int) -> RuleSetVersion:
    return await lead_rule_sets.rule_set_version(viewer_of(info), version_id)


async def replace_rule_set(
    info: Info, partner_id: int | None, owner: RuleSetOwner, groups: list[list[Condition]]
) -> RuleSetVersion:
    return await lead_rule_sets.replace_rule_set(viewer_of(info), partner_id, owner, groups)


async def add_group(
    info: Info, partner_id: int | None, owner: RuleSetOwner, conditions: list[Condition]
) -> RuleSetVersion:
    return await lead_rule_sets.add_group(viewer_of(info), partner_id, owner, conditions)


async def remove_group(
    info: Info, partner_id: int | None, owner: RuleSetOwner, group_index: int
) -> RuleSetVersion:
    return await lead_rule_sets.remove_group(viewer_of(info), partner_id, owner, group_index)


async def add_condition(
    info: Info, partner_id: int | None, owner: RuleSetOwner, group_index: int, condition: Condition
) -> RuleSetVersion:
    return await lead_rule_sets.add_condition(
        viewer_of(info), partner_id, owner, group_index, condition
    )


async def remove_condition(
    info: Info, partner_id: int | None, owner: RuleSetOwner, group_index: int, condition_index: int
) -> RuleSetVersion:
    return await lead_rule_sets.remove_condition(
        viewer_of(info), partner_id, owner, group_index, condition_index
    )


async def ignored_companies(info: Info, partner_id: int | None) -> list[IgnoredCompany]:
    return await lead_ignored_companies.list_ignored_companies(viewer_of(info), partner_id)


async def add_ignored_company(
    info: Info, partner_id: int | None, name: str
) -> list[IgnoredCompany]:
    return await lead_ignored_companies.add_ignored_company(viewer_of(info), partner_id, name)


async def remove_ignored_company(
    info: Info, partner_id: int | None, name: str
) -> list[IgnoredCompany]:
    return await lead_ignored_companies.remove_ignored_company(viewer_of(info), partner_id, name)


async def notification_recipients(
    info: Info, partner_id: int | None
) -> lead_settings.NotificationRecipients:
    return await lead_settings.get_notification_recipients(viewer_of(info), partner_id)


async def set_notification_recipients(
    info: Info, partner_id: int | None, user_ids: Sequence[int], sales_rep_ids: Sequence[int]
) -> lead_settings.NotificationRecipients:
    return await lead_settings.set_notification_recipients(
        viewer_of(info), partner_id, user_ids, sales_rep_ids
    )


async def set_supplier_default_user(
    info: Info, partner_id: int, user_id: int | None
) -> lead_settings.NotificationRecipients:
    return await lead_settings.set_supplier_default_user(viewer_of(info), partner_id, user_id)


async def create_lead(info: Info, data: lead_management.LeadInput) -> Lead:
    return await lead_management.create_lead(
        info.context.settings, viewer_of(info), data, info.context.caller
    )


async def create_vendor_lead(info: Info, data: lead_management.LeadInput) -> Lead:
    return await lead_management.create_vendor_lead(viewer_of(info), data)


async def update_lead(info: Info, lead_id: int, data: lead_management.LeadInput) -> Lead:
    await lead_deadlines.settle_overdue_leads_for(viewer_of(info), [lead_id])
    return await lead_management.update_lead(
        info.context.settings, viewer_of(info), lead_id, data, info.context.caller
    )


async def get_lead(info: Info, lead_id: int) -> Lead:
    await lead_deadlines.settle_overdue_leads_for(viewer_of(info), [lead_id])
    return await lead_management.get_lead(viewer_of(info), lead_id)


async def list_leads(
    info: Info,
    partner_id: int | None,
    distribution_status: DistributionStatus | None,
    window: PageWindow,
    filters: lead_management.LeadFilters,
) -> Page[Lead]:
    # A lead past its accept-by deadline reads as returned to the vendor, job or no job.
    await lead_deadlines.settle_overdue_leads_for(viewer_of(info))
    return await lead_management.list_leads(
        viewer_of(info), partner_id, distribution_status, window, filters
    )


async def explain(
    info: Info,
    partner_id: int | None,
    lead_id: int | None,
    proposed: list[list[Condition]] | None,
    owner: RuleSetOwner | None,
    recent: int,
) -> lead_rule_sets.ExplainedRuleSet:
    return await lead_rule_sets.explain_auto_registration(
        viewer_of(info),
        partner_id,
        lead_id=lead_id,
        proposed_groups=proposed,
        owner=owner,
        recent=recent,
    )


async def distribute_leads(
    info: Info, lead_ids: list[int], partner_id: int, accept_by: datetime | None
) -> lead_distribution.DistributionResult:
    return await lead_distribution.distribute_leads(
        info.context.settings, viewer_of(info), lead_ids, partner_id, accept_by, _pubsub(info)
    )


async def accept_lead(info: Info, lead_id: int) -> Lead:
    return await lead_answers.accept_lead(viewer_of(info), lead_id)


async def reject_lead(info: Info, lead_id: int, reason: str) -> Lead:
    return await lead_answers.reject_lead(viewer_of(info), lead_id, reason)


def lead_assignments(info: Info) -> AsyncIterator[Lead]:
    pubsub = _pubsub(info)
    if pubsub is None:
        raise RuntimeError("the application has no pub/sub connection")
    return lead_distribution.lead_assignments(pubsub, viewer_of(info))


async def history_entry(info: Info, entry_id: int) -> LeadEvent:
    return await lead_records.history_entry(viewer_of(info), entry_id)


async def distribution(info: Info, distribution_id: int) -> LeadDistribution:
    return await lead_records.distribution(viewer_of(info), distribution_id)


async def settings_change(info: Info, change_id: int) -> LeadSettingsChange:
    return await lead_records.settings_change(viewer_of(info), change_id)


async def ignored_company(info: Info, company_id: int) -> IgnoredCompany:
    return await lead_records.ignored_company(viewer_of(info), company_id)
