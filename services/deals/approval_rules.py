"""Auto-approval of deal registrations: rule sets per partner tier or per partner group, their
versioned history, the dry run, and the check made at submission.

- A rule set is the lead rule language over registration fields
  (`services.deals.approval_rule_fields`): AND within a group, OR between groups, the same limits
  and messages as the lead rules.
- Each scope ("tier:gold", "group:12") has its own sequence of versions; a save writes a new
  version with who, when and a change note, and the latest version is in force. Vendor staff
  read the rules; only vendor admins save them.
- A registration is auto-approved when the latest rules of its partner's tier, or of any group
  its partner is in now (static member or matching a dynamic group's rule), match it: the tier
  first, then the groups by id, the first match wins. A registration with a conflict (another
  partner's protected claim, a vendor deal) is never auto-approved.
- `explain_deal_approval` tells, condition by condition, what the rules in force (or proposed
  ones) make of a registration, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Max

from models.deal_registrations import (
    ApprovalRuleScope,
    DealApprovalRuleVersion,
    DealConflictKind,
    DealRegistration,
    DealRegistrationField,
)
from models.enums import PartnerTier
from models.partners import PartnerOrg
from services.deals.approval_rule_fields import (
    DealConditionInput,
    deal_rule_groups,
    field_reader,
    registration_facts,
)
from services.deals.registration_settings import current_settings
from services.deals.working_days import zone_of
from services.leads.rules import Condition, Explanation, explain, rule_set_from_json
from services.leads.rules import rule_set_to_json as rule_set_json
from services.leads.rules_compiled import first_matching_group
from services.partners.groups import get_group, groups_containing
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import clean_text
from services.platform.viewer import Viewer

MAX_CHANGE_LENGTH = 200


@dataclass(frozen=True)
class AutoApproval:
    """The saved rule version and the (zero-based) group of it that approved a registration."""

    rule_version_id: int
    group_index: int


@dataclass(frozen=True)
class RuleScope:
    """Whose rules: one partner tier, or one partner group."""

    tier: PartnerTier | None = None
    group_id: int | None = None

    @property
    def kind(self) -> ApprovalRuleScope:
        return ApprovalRuleScope.TIER if self.tier is not None else ApprovalRuleScope.GROUP

    @property
    def key(self) -> str:
        return f"tier:{self.tier.value}" if self.tier is not None else f"group:{self.group_id}"

    @classmethod
    def of(cls, row: DealApprovalRuleVersion) -> RuleScope:
        return cls(tier=row.tier, group_id=row.group_id)  # type: ignore[attr-defined]


def _require_staff(viewer: Viewer) -> None:
    if not viewer.is_vendor_staff:
        raise forbidden("Only vendor staff can read auto-approval rules.")


async def rule_scope(viewer: Viewer, tier: PartnerTier | None, group_id: int | None) -> RuleScope:
    """The scope a caller names: exactly one of a tier or an (existing) partner group."""
    _require_staff(viewer)
    if (tier is None) == (group_id is None):
        raise ValidationFailed([("tier", "Name either a partner tier or a partner group.")])
    if group_id is not None:
        group = await get_group(viewer, group_id, "groupId")
        return RuleScope(group_id=group.id)
    return RuleScope(tier=tier)


async def latest_rules(scope: RuleScope) -> DealApprovalRuleVersion | None:
    return await DealApprovalRuleVersion.filter(scope_key=scope.key).order_by("-version").first()


async def approval_rule_history(
    viewer: Viewer, scope: RuleScope, window: PageWindow
) -> Page[DealApprovalRuleVersion]:
    """Every saved version of a scope's rules, newest first (versions grow with the row id)."""
    _require_staff(viewer)
    return await paginate(
        DealApprovalRuleVersion.filter(scope_key=scope.key), window, newest_first=True
    )


async def approval_rule_version(viewer: Viewer, version_id: int) -> DealApprovalRuleVersion:
    if not viewer.is_vendor_staff:
        raise not_found("Approval rules")
    row = await DealApprovalRuleVersion.get_or_none(id=version_id)
    if row is None:
        raise not_found("Approval rules")
    return row


async def current_rule_sets(viewer: Viewer) -> list[DealApprovalRuleVersion]:
    """The version in force of every scope that has rules: tiers (in tier order) first, then
    groups by id."""
    _require_staff(viewer)
    tiers = list(PartnerTier)

    def order(row: DealApprovalRuleVersion) -> tuple[int, int]:
        if row.tier is not None:
            return 0, tiers.index(row.tier)
        return 1, row.group_id  # type: ignore[attr-defined]

    return sorted((await _latest_versions(None)).values(), key=order)


async def rule_fields() -> list[DealRegistrationField]:
    """Every custom field definition (archived ones too: saved rules may still name them)."""
    return await DealRegistrationField.all()


def rules_of(row: DealApprovalRuleVersion, definitions: Sequence[DealRegistrationField]) -> Any:
    return rule_set_from_json(row.groups, field_reader(definitions))


async def save_approval_rules(
    viewer: Viewer,
    scope: RuleScope,
    groups: Sequence[Sequence[DealConditionInput]],
    change: str | None,
) -> DealApprovalRuleVersion:
    """Save a whole new version of a scope's rules (vendor admins only); no groups: nothing is
    auto-approved through this scope any more."""
    viewer.require_vendor_admin()
    parsed = deal_rule_groups(groups, await rule_fields())
    problems: list[tuple[str, str]] = []
    note = clean_text(change or "", "change", problems, max_length=MAX_CHANGE_LENGTH)
    if problems:
        raise ValidationFailed(problems)
    if not note:
        note = f"saved {len(parsed)} group{'s' if len(parsed) != 1 else ''}"
    current = await latest_rules(scope)
    try:
        return await DealApprovalRuleVersion.create(
            scope=scope.kind,
            tier=scope.tier,
            group_id=scope.group_id,
            scope_key=scope.key,
            version=(current.version if current is not None else 0) + 1,
            groups=rule_set_json(parsed),
            change=note,
            created_by_id=viewer.user_id,
        )
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE,
            "The rules were changed by someone else at the same time; load them and try again.",
            "groups",
        ) from None


# ---- the rules that apply to a registration ---------------------------------------------------


async def _latest_versions(keys: Sequence[str] | None) -> dict[str, DealApprovalRuleVersion]:
    """The latest version of each scope key (of every scope when `keys` is None), two queries."""
    query = DealApprovalRuleVersion.all()
    if keys is not None:
        if not keys:
            return {}
        query = query.filter(scope_key__in=list(keys))
    latest = (
        await query.annotate(latest=Max("version"))
        .group_by("scope_key")
        .values_list("scope_key", "latest")
    )
    if not latest:
        return {}
    wanted = Q(*(Q(scope_key=key, version=version) for key, version in latest), join_type="OR")
    return {row.scope_key: row for row in await DealApprovalRuleVersion.filter(wanted)}


async def applicable_rules(
    partner: PartnerOrg,
) -> list[tuple[RuleScope, DealApprovalRuleVersion]]:
    """The rules in force for a partner, in the order they are tried: its tier's, then each of
    its groups' by group id (scopes without saved rules are left out)."""
    memberships = await groups_containing([partner.id])
    scopes = [RuleScope(tier=partner.tier)] + [
        RuleScope(group_id=group.id) for group in memberships.get(partner.id, [])
    ]
    latest = await _latest_versions([scope.key for scope in scopes])
    return [(scope, latest[scope.key]) for scope in scopes if scope.key in latest]


async def _today() -> date:
    settings = await current_settings()
    return datetime.now(UTC).astimezone(zone_of(settings.time_zone)).date()


async def auto_approval_for(registration: DealRegistration) -> AutoApproval | None:
    """The rule version and group that approve this registration at once, or None. Never a
    registration with a conflict. Reads only: the caller approves (with actor None)."""
    if registration.conflict_kind is not DealConflictKind.NONE:
        return None
    partner = await PartnerOrg.get_or_none(id=registration.partner_id)  # type: ignore[attr-defined]
    if partner is None:
        return None
    applicable = await applicable_rules(partner)
    if not applicable:
        return None
    definitions = await rule_fields()
    facts = registration_facts(registration, partner.country, definitions, await _today())
    for _scope, version in applicable:
        group_index = first_matching_group(rules_of(version, definitions), facts)
        if group_index is not None:
            return AutoApproval(rule_version_id=version.id, group_index=group_index)
    return None


# ---- explain (dry run) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeExplanation:
    """What one rule set makes of the registration: a saved version in force, or proposed."""

    scope: RuleScope | None
    version: DealApprovalRuleVersion | None
    explanation: Explanation


@dataclass
class DealApprovalExplanation:
    registration: DealRegistration
    proposed: bool
    has_conflict: bool
    would_approve: bool
    approval: AutoApproval | None
    reason: str
    rule_sets: list[ScopeExplanation] = field(default_factory=list)


async def visible_registration(viewer: Viewer, registration_id: int) -> DealRegistration:
    """A registration vendor staff may review (channel managers: their partners'); else not
    found."""
    row = await DealRegistration.get_or_none(id=registration_id)
    if (
        row is None or not viewer.is_vendor_staff or not viewer.can_see_partner(row.partner_id)  # type: ignore[attr-defined]
    ):
        raise not_found("Deal registration", "registrationId")
    return row


def _reason(has_conflict: bool, matched: ScopeExplanation | None, any_rules: bool) -> str:
    if matched is not None:
        where = "proposed rules" if matched.scope is None else f"{matched.scope.key} rules"
        index = matched.explanation.matched_group_index
        verdict = f"Group {index} of the {where} matches: all of its conditions hold."
        if has_conflict:
            return f"{verdict} The registration has a conflict, so it is never auto-approved."
        return verdict
    if not any_rules:
        return "No auto-approval rules apply to this partner."
    return "No group of the rules has all of its conditions matching."


async def explain_deal_approval(
    viewer: Viewer,
    registration_id: int,
    proposed_groups: Sequence[Sequence[DealConditionInput]] | None = None,
) -> DealApprovalExplanation:
    """What the rules in force for the registration's partner (or the proposed groups) make of
    it, condition by condition. Nothing is written."""
    _require_staff(viewer)
    registration = await visible_registration(viewer, registration_id)
    definitions = await rule_fields()
    partner = await PartnerOrg.get(id=registration.partner_id)  # type: ignore[attr-defined]
    facts = registration_facts(registration, partner.country, definitions, await _today())
    rule_sets: list[tuple[RuleScope | None, DealApprovalRuleVersion | None, list[list[Condition]]]]
    if proposed_groups is not None:
        rule_sets = [(None, None, deal_rule_groups(proposed_groups, definitions))]
    else:
        rule_sets = [
            (scope, version, rules_of(version, definitions))
            for scope, version in await applicable_rules(partner)
        ]
    explained = [
        ScopeExplanation(scope, version, explain(groups, facts))
        for scope, version, groups in rule_sets
    ]
    matched = next((e for e in explained if e.explanation.matched_group_index is not None), None)
    has_conflict = registration.conflict_kind is not DealConflictKind.NONE
    approval = None
    if matched is not None and matched.version is not None and not has_conflict:
        approval = AutoApproval(matched.version.id, matched.explanation.matched_group_index or 0)
    return DealApprovalExplanation(
        registration=registration,
        proposed=proposed_groups is not None,
        has_conflict=has_conflict,
        would_approve=matched is not None and not has_conflict,
        approval=approval,
        reason=_reason(has_conflict, matched, bool(rule_sets)),
        rule_sets=explained,
    )
