"""Versioned auto-registration rule sets and their dry run.

- Every edit writes a new `RuleSetVersion` with who and when. Partner admins edit their own
  partner-defined rules, vendor admins the supplier-managed rules of any partner; a partner can
  read its supplier-managed rules but never change them.
- `explain_auto_registration` says what a rule set (saved or proposed) would do with a lead or
  with the partner's most recent leads, condition by condition, without writing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.lead_management import (
    AutoRegistrationMode,
    IgnoredCompany,
    RuleSetOwner,
    RuleSetVersion,
)
from models.leads import Lead, LeadSource
from models.partners import PartnerOrg
from services.leads.access import can_see_lead, require_rule_editor, require_settings_reader
from services.leads.ignored_companies import normalise_company
from services.leads.lead_settings import settings_for
from services.leads.rules import (
    Condition,
    Explanation,
    explain,
    lead_facts,
    rule_set_from_json,
    rule_set_to_json,
    validate_rule_set,
)
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer

MAX_RECENT_LEADS = 100
DEFAULT_RECENT_LEADS = 20


async def latest_rule_set(partner_id: int, owner: RuleSetOwner) -> RuleSetVersion | None:
    return (
        await RuleSetVersion.filter(partner_id=partner_id, owner=owner).order_by("-version").first()
    )


async def get_rule_set(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner
) -> tuple[int, RuleSetVersion | None]:
    partner_id = require_settings_reader(viewer, partner_id)
    return partner_id, await latest_rule_set(partner_id, owner)


async def rule_set_history(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner, window: PageWindow
) -> Page[RuleSetVersion]:
    """Every saved version of a rule set, newest first (versions grow with the row id)."""
    partner_id = require_settings_reader(viewer, partner_id)
    return await paginate(
        RuleSetVersion.filter(partner_id=partner_id, owner=owner), window, newest_first=True
    )


async def rule_set_version(viewer: Viewer, version_id: int) -> RuleSetVersion:
    """One saved version, if the viewer may read its partner's settings; else not found."""
    row = await RuleSetVersion.get_or_none(id=version_id)
    if row is None:
        raise not_found("RuleSet")
    try:
        require_settings_reader(viewer, row.partner_id)  # type: ignore[attr-defined]
    except ServiceError:
        raise not_found("RuleSet") from None
    return row


async def _save_rule_set(
    viewer: Viewer,
    partner_id: int,
    owner: RuleSetOwner,
    change: str,
    edit: Any,
) -> RuleSetVersion:
    """Write a new version: `edit(current_groups)` returns the new groups (validated here)."""
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    try:
        async with in_transaction():
            current = await latest_rule_set(partner_id, owner)
            groups = rule_set_from_json(current.groups) if current is not None else []
            new_groups = edit(groups)
            validate_rule_set(new_groups)
            return await RuleSetVersion.create(
                partner_id=partner_id,
                owner=owner,
                version=(current.version if current is not None else 0) + 1,
                groups=rule_set_to_json(new_groups),
                change=change[:200],
                created_by_id=viewer.user_id,
            )
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE,
            "The rules were changed by someone else at the same time; load them and try again.",
            "groups",
        ) from None


async def replace_rule_set(
    viewer: Viewer,
    partner_id: int | None,
    owner: RuleSetOwner,
    groups: Sequence[Sequence[Condition]],
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)
    new_groups = [list(group) for group in groups]
    validate_rule_set(new_groups)
    return await _save_rule_set(
        viewer,
        partner_id,
        owner,
        f"replaced the rule set ({len(new_groups)} groups)",
        lambda _current: new_groups,
    )


def _check_group_index(groups: list[list[Condition]], group_index: int) -> None:
    if not 0 <= group_index < len(groups):
        raise ValidationFailed([("groupIndex", f"There is no group {group_index}.")])


async def add_group(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner, conditions: Sequence[Condition]
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        return [*groups, list(conditions)]

    return await _save_rule_set(viewer, partner_id, owner, "added a group", edit)


async def remove_group(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner, group_index: int
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        _check_group_index(groups, group_index)
        return groups[:group_index] + groups[group_index + 1 :]

    return await _save_rule_set(viewer, partner_id, owner, f"removed group {group_index}", edit)


async def add_condition(
    viewer: Viewer,
    partner_id: int | None,
    owner: RuleSetOwner,
    group_index: int,
    condition: Condition,
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        _check_group_index(groups, group_index)
        groups[group_index] = [*groups[group_index], condition]
        return groups

    return await _save_rule_set(
        viewer, partner_id, owner, f"added a condition to group {group_index}", edit
    )


async def remove_condition(
    viewer: Viewer,
    partner_id: int | None,
    owner: RuleSetOwner,
    group_index: int,
    condition_index: int,
) -> RuleSetVersion:
    """Remove one condition; a group left without conditions is removed with it."""
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        _check_group_index(groups, group_index)
        group = groups[group_index]
        if not 0 <= condition_index < len(group):
            raise ValidationFailed(
                [("conditionIndex", f"Group {group_index} has no condition {condition_index}.")]
            )
        remaining = group[:condition_index] + group[condition_index + 1 :]
        if remaining:
            groups[group_index] = remaining
            return groups
        return groups[:group_index] + groups[group_index + 1 :]

    return await _save_rule_set(
        viewer,
        partner_id,
        owner,
        f"removed condition {condition_index} of group {group_index}",
        edit,
    )


# ---- explain (dry run) -----------------------------------------------------------------------


@dataclass
class ExplainedRuleSet:
    partner_id: int
    owner: RuleSetOwner | None
    version: int | None
    proposed: bool
    auto_registration_enabled: bool
    leads: list[tuple[Lead, Explanation]]


async def explain_auto_registration(
    viewer: Viewer,
    partner_id: int | None,
    *,
    lead_id: int | None = None,
    proposed_groups: Sequence[Sequence[Condition]] | None = None,
    owner: RuleSetOwner | None = None,
    recent: int = DEFAULT_RECENT_LEADS,
) -> ExplainedRuleSet:
    """What a rule set (the saved one in force, a saved one by owner, or a proposed one) would
    do with one lead or with the partner's most recent leads, condition by condition.

    Nothing is written: this is a dry run.
    """
    partner_id = require_settings_reader(viewer, partner_id)
    settings = await settings_for(partner_id)
    if proposed_groups is not None:
        groups = [list(group) for group in proposed_groups]
        validate_rule_set(groups)
        version_number = None
    else:
        if owner is None:
            owner = (
                RuleSetOwner.SUPPLIER
                if settings.mode is AutoRegistrationMode.SUPPLIER_MANAGED
                else RuleSetOwner.PARTNER
            )
        saved = await latest_rule_set(partner_id, owner)
        groups = rule_set_from_json(saved.groups) if saved is not None else []
        version_number = saved.version if saved is not None else None
    if lead_id is not None:
        lead = await Lead.get_or_none(id=lead_id, partner_id=partner_id)
        if lead is None or not can_see_lead(viewer, lead):
            raise not_found("Lead")
        if lead.source is not LeadSource.PARTNER:
            raise ValidationFailed(
                [
                    (
                        "leadId",
                        "Only the partner's own leads are auto-registered, not distributed ones.",
                    )
                ]
            )
        leads = [lead]
    else:
        if not 1 <= recent <= MAX_RECENT_LEADS:
            raise ValidationFailed([("recent", f"Choose 1 to {MAX_RECENT_LEADS} leads.")])
        leads = (
            await Lead.filter(partner_id=partner_id, source=LeadSource.PARTNER)
            .order_by("-id")
            .limit(recent)
        )
    ignored = set(
        await IgnoredCompany.filter(partner_id=partner_id).values_list("normalised_name", flat=True)
    )
    explained = [
        (
            lead,
            explain(
                groups,
                lead_facts(lead),
                ignored_company=bool(lead.company.strip())
                and normalise_company(lead.company) in ignored,
            ),
        )
        for lead in leads
    ]
    return ExplainedRuleSet(
        partner_id=partner_id,
        owner=None if proposed_groups is not None else owner,
        version=version_number,
        proposed=proposed_groups is not None,
        auto_registration_enabled=settings.auto_registration_enabled,
        leads=explained,
    )
