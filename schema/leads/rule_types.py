"""GraphQL types of auto-registration rules: conditions, groups, saved rule sets, their inputs
and enums, and the dry run (`explainAutoRegistration`) of a rule set over leads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from models.lead_management import RuleSetOwner as RuleSetOwnerModel
from models.lead_management import RuleSetVersion as RuleSetVersionModel
from models.leads import Lead as LeadModel
from schema.leads.types import ManagedLead
from schema.platform.common import OperationErrors, global_id, optional_global_id
from services.leads.rule_sets import ExplainedRuleSet
from services.leads.rules import Condition, Explanation, rule_set_from_json
from services.leads.rules import LeadField as LeadFieldModel
from services.leads.rules import Operator as OperatorModel

LeadField = strawberry.enum(
    LeadFieldModel, name="LeadField", description="A lead field rules read."
)
RuleOperator = strawberry.enum(
    OperatorModel, name="RuleOperator", description="How a condition compares (text ignores case)."
)
RuleSetOwner = strawberry.enum(
    RuleSetOwnerModel,
    name="RuleSetOwner",
    description="SUPPLIER: rules the vendor defines for the partner, PARTNER: the partner's own.",
)


@strawberry.type(description="One condition: a lead field, an operator and a value or values.")
class RuleCondition:
    field: LeadField
    operator: RuleOperator
    value: str | None
    values: list[str]

    @classmethod
    def from_condition(cls, condition: Condition) -> RuleCondition:
        return cls(
            field=condition.field,
            operator=condition.operator,
            value=condition.value,
            values=list(condition.values),
        )


@strawberry.type(description="All conditions of a group must match (AND).")
class RuleGroup:
    conditions: list[RuleCondition]


@strawberry.type(description="A saved version of a rule set: a lead matches if any group does.")
class RuleSet:
    partner_id: strawberry.ID
    owner: RuleSetOwner
    version: int
    groups: list[RuleGroup]
    change: str
    created_at: datetime
    created_by_id: strawberry.ID | None
    editable: bool

    @classmethod
    def from_model(cls, row: RuleSetVersionModel, editable: bool) -> RuleSet:
        return cls(
            partner_id=global_id("Partner", row.partner_id),  # type: ignore[attr-defined]
            owner=row.owner,
            version=row.version,
            groups=[
                RuleGroup(conditions=[RuleCondition.from_condition(c) for c in group])
                for group in rule_set_from_json(row.groups)
            ],
            change=row.change,
            created_at=row.created_at,
            created_by_id=optional_global_id("User", row.created_by_id),  # type: ignore[attr-defined]
            editable=editable,
        )


@strawberry.input
class RuleConditionInput:
    field: LeadField
    operator: RuleOperator
    value: str | None = None
    values: list[str] | None = None

    def to_condition(self) -> Condition:
        return Condition(
            field=LeadFieldModel(self.field),
            operator=OperatorModel(self.operator),
            value=self.value,
            values=tuple(self.values or ()),
        )


@strawberry.input
class RuleGroupInput:
    conditions: list[RuleConditionInput]


def rule_groups(groups: list[RuleGroupInput]) -> list[list[Condition]]:
    return [[c.to_condition() for c in group.conditions] for group in groups]


# ---- explain ---------------------------------------------------------------------------------


@strawberry.type(description="One condition evaluated against a lead, with the lead's value.")
class ConditionExplanation:
    condition: RuleCondition
    actual_value: str | None
    matched: bool


@strawberry.type
class GroupExplanation:
    index: int
    matched: bool
    conditions: list[ConditionExplanation]


@strawberry.type(description="Whether a rule set would auto-register a lead, and why.")
class LeadExplanation:
    lead: ManagedLead
    would_register: bool
    matched_group_index: int | None
    ignored_company: bool
    reason: str
    groups: list[GroupExplanation]

    @classmethod
    def build(cls, lead: LeadModel, explanation: Explanation) -> LeadExplanation:
        return cls(
            lead=ManagedLead.from_model(lead),
            would_register=explanation.would_register,
            matched_group_index=explanation.matched_group_index,
            ignored_company=explanation.ignored_company,
            reason=explanation.reason,
            groups=[
                GroupExplanation(
                    index=group.index,
                    matched=group.matched,
                    conditions=[
                        ConditionExplanation(
                            condition=RuleCondition.from_condition(outcome.condition),
                            actual_value=outcome.actual_value,
                            matched=outcome.matched,
                        )
                        for outcome in group.conditions
                    ],
                )
                for group in explanation.groups
            ],
        )


@strawberry.type(description="A dry run of a rule set over leads: nothing is changed.")
class AutoRegistrationExplanation:
    partner_id: strawberry.ID
    owner: RuleSetOwner | None
    version: int | None
    proposed: bool
    auto_registration_enabled: bool
    leads: list[LeadExplanation]

    @classmethod
    def build(cls, result: ExplainedRuleSet) -> AutoRegistrationExplanation:
        return cls(
            partner_id=global_id("Partner", result.partner_id),
            owner=result.owner,
            version=result.version,
            proposed=result.proposed,
            auto_registration_enabled=result.auto_registration_enabled,
            leads=[LeadExplanation.build(lead, e) for lead, e in result.leads],
        )


RuleSetResult = Annotated[RuleSet | OperationErrors, strawberry.union("RuleSetResult")]
