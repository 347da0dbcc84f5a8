"""GraphQL types of auto-approval rules for deal registrations: conditions over registration
fields, saved versions per partner tier or group with their history, inputs, and the dry run
(`explainDealApproval`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.deal_registrations import DealApprovalRuleVersion as VersionModel
from resolvers.deals import registration_config as resolve
from schema.deals.registration_types import DealRegistration
from schema.leads.rule_types import RuleOperator
from schema.partners.types import PartnerGroup, PartnerTier, User
from schema.platform.common import (
    Connection,
    OperationErrors,
    PageWindow,
    fetch,
    global_id,
    to_connection,
)
from schema.platform.node import Node
from services.deals.approval_rule_fields import DealConditionInput, condition_parts, field_reader
from services.deals.approval_rule_fields import DealField as DealFieldModel
from services.deals.approval_rules import DealApprovalExplanation as ExplanationModel
from services.deals.approval_rules import RuleScope, ScopeExplanation
from services.leads.rules import Condition, rule_set_from_json
from services.leads.rules import Operator as OperatorModel

DealRuleField = strawberry.enum(
    DealFieldModel,
    name="DealRuleField",
    description="A registration field rules read; CUSTOM_FIELD reads the custom field named by "
    "customFieldKey. AMOUNT and EXPECTED_CLOSE_IN_DAYS (days from the review team's today) and "
    "custom NUMBER fields compare as numbers, the rest as text ignoring case.",
)


@strawberry.type(description="One condition: a registration field, an operator, a value or values.")
class DealRuleCondition:
    field: DealRuleField
    custom_field_key: str | None
    operator: RuleOperator
    value: str | None
    values: list[str]

    @classmethod
    def from_condition(cls, condition: Condition) -> DealRuleCondition:
        field, key = condition_parts(condition)
        return cls(
            field=field,
            custom_field_key=key,
            operator=condition.operator,
            value=condition.value,
            values=list(condition.values),
        )


@strawberry.type(description="All conditions of a group must match (AND).")
class DealRuleGroup:
    conditions: list[DealRuleCondition]


async def _group(info: Info, group_pk: int | None) -> PartnerGroup | None:
    group = await resolve.group(info, group_pk)
    return None if group is None else PartnerGroup.from_model(group)


@strawberry.type(
    description="A saved version of the auto-approval rules of a partner tier or group (each "
    "version its own object): a registration matches if any group does."
)
class DealApprovalRules(Node):
    id: strawberry.ID
    scope_key: str = strawberry.field(description='"tier:gold" or "group:<number>".')
    tier: PartnerTier | None
    version: int
    groups: list[DealRuleGroup] = strawberry.field(description="A version never changes.")
    change: str
    created_at: datetime
    group_pk: strawberry.Private[int | None]
    created_by_pk: strawberry.Private[int | None]

    @strawberry.field(description="The partner group whose rules these are (null for a tier).")
    async def group(self, info: Info) -> PartnerGroup | None:
        return await _group(info, self.group_pk)

    @strawberry.field(description="Who saved this version.")
    async def created_by(self, info: Info) -> User | None:
        if self.created_by_pk is None:
            return None
        user = await info.context.loaders.user.load(self.created_by_pk)
        return None if user is None else User.from_model(user)

    @classmethod
    def from_model(cls, row: VersionModel) -> DealApprovalRules:
        return cls(
            id=global_id("DealApprovalRules", row.id),
            scope_key=row.scope_key,
            tier=row.tier,
            version=row.version,
            groups=[
                DealRuleGroup(conditions=[DealRuleCondition.from_condition(c) for c in group])
                for group in rule_set_from_json(row.groups, field_reader(()))
            ],
            change=row.change,
            created_at=row.created_at,
            group_pk=row.group_id,  # type: ignore[attr-defined]
            created_by_pk=row.created_by_id,  # type: ignore[attr-defined]
        )


@strawberry.type(description="The auto-approval rules of one partner tier or group.")
class DealApprovalRuleScope:
    scope: strawberry.Private[RuleScope]
    tier: PartnerTier | None
    scope_key: str

    @strawberry.field(description="The partner group (null for a tier).")
    async def group(self, info: Info) -> PartnerGroup | None:
        return await _group(info, self.scope.group_id)

    @strawberry.field(description="The version in force (null: no rules saved yet).")
    async def current(self) -> DealApprovalRules | None:
        row = await resolve.latest_rules(self.scope)
        return None if row is None else DealApprovalRules.from_model(row)

    @strawberry.field(description="Every saved version, newest first, with who, when and why.")
    async def history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DealApprovalRules]:
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: resolve.rule_history(info, self.scope, window))
        return to_connection(page, DealApprovalRules.from_model)

    @classmethod
    def of(cls, scope: RuleScope) -> DealApprovalRuleScope:
        return cls(scope=scope, tier=scope.tier, scope_key=scope.key)


@strawberry.input(description="A condition; customFieldKey only (and always) for CUSTOM_FIELD.")
class DealRuleConditionInput:
    field: DealRuleField
    operator: RuleOperator
    value: str | None = None
    values: list[str] | None = None
    custom_field_key: str | None = None

    def to_input(self) -> DealConditionInput:
        return DealConditionInput(
            field=DealFieldModel(self.field),
            operator=OperatorModel(self.operator),
            value=self.value,
            values=tuple(self.values or ()),
            custom_field_key=self.custom_field_key,
        )


@strawberry.input
class DealRuleGroupInput:
    conditions: list[DealRuleConditionInput]


def rule_groups(groups: list[DealRuleGroupInput]) -> list[list[DealConditionInput]]:
    return [[condition.to_input() for condition in group.conditions] for group in groups]


# ---- explain ---------------------------------------------------------------------------------


@strawberry.type(description="One condition evaluated against the registration, with its value.")
class DealRuleConditionExplanation:
    condition: DealRuleCondition
    actual_value: str | None
    matched: bool


@strawberry.type
class DealRuleGroupExplanation:
    index: int
    matched: bool
    conditions: list[DealRuleConditionExplanation]


@strawberry.type(description="What one rule set (in force, or proposed) makes of the registration.")
class DealApprovalRuleSetExplanation:
    rules: DealApprovalRules | None = strawberry.field(
        description="The saved version explained (null for proposed groups)."
    )
    matched_group_index: int | None
    reason: str
    groups: list[DealRuleGroupExplanation]

    @classmethod
    def build(cls, item: ScopeExplanation) -> DealApprovalRuleSetExplanation:
        explanation = item.explanation
        return cls(
            rules=None if item.version is None else DealApprovalRules.from_model(item.version),
            matched_group_index=explanation.matched_group_index,
            reason=explanation.reason,
            groups=[
                DealRuleGroupExplanation(
                    index=group.index,
                    matched=group.matched,
                    conditions=[
                        DealRuleConditionExplanation(
                            condition=DealRuleCondition.from_condition(outcome.condition),
                            actual_value=outcome.actual_value,
                            matched=outcome.matched,
                        )
                        for outcome in group.conditions
                    ],
                )
                for group in explanation.groups
            ],
        )


@strawberry.type(
    description="A dry run of auto-approval for a registration: nothing is changed. Without "
    "proposed groups, the rules in force for its partner (tier first, then groups by id)."
)
class DealApprovalExplanation:
    id: strawberry.ID = strawberry.field(
        description="A stable key: the registration and the rules explained."
    )
    registration_id: strawberry.ID
    registration: DealRegistration = strawberry.field(description="The registration explained.")
    proposed: bool
    has_conflict: bool = strawberry.field(description="A conflict is never auto-approved.")
    would_approve: bool
    approved_by: DealApprovalRules | None = strawberry.field(
        description="The saved version that would approve it (null if none, or proposed)."
    )
    approved_by_group_index: int | None
    reason: str
    rule_sets: list[DealApprovalRuleSetExplanation]

    @classmethod
    def build(cls, result: ExplanationModel) -> DealApprovalExplanation:
        registration_id = global_id("DealRegistration", result.registration.id)
        versions = ":".join(str(item.version.id) for item in result.rule_sets if item.version)
        key = "proposed" if result.proposed else f"saved:{versions}"
        approving = next(
            (
                item.version
                for item in result.rule_sets
                if result.approval is not None
                and item.version is not None
                and item.version.id == result.approval.rule_version_id
            ),
            None,
        )
        return cls(
            id=strawberry.ID(f"DealApprovalExplanation:{result.registration.id}:{key}"),
            registration_id=registration_id,
            registration=DealRegistration.from_model(result.registration),
            proposed=result.proposed,
            has_conflict=result.has_conflict,
            would_approve=result.would_approve,
            approved_by=None if approving is None else DealApprovalRules.from_model(approving),
            approved_by_group_index=(
                None if result.approval is None else result.approval.group_index
            ),
            reason=result.reason,
            rule_sets=[DealApprovalRuleSetExplanation.build(item) for item in result.rule_sets],
        )


DealApprovalRulesResult = Annotated[
    DealApprovalRules | OperationErrors, strawberry.union("DealApprovalRulesResult")
]
