"""GraphQL types of auto-registration rules: conditions, groups, saved rule sets, their inputs
and enums, and the dry run (`explainAutoRegistration`) of a rule set over leads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.lead_management import RuleSetOwner as RuleSetOwnerModel
from models.lead_management import RuleSetVersion as RuleSetVersionModel
from models.leads import Lead as LeadModel
from resolvers.leads import loaders as lead_loaders
from schema.leads.types import Lead
from schema.partners.types import Partner, User
from schema.platform.common import OperationErrors, global_id
from schema.platform.node import Node
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


@strawberry.type(
    description="A saved version of a rule set (each version its own object): a lead matches "
    "if any group does."
)
class RuleSet(Node):
    id: strawberry.ID
    owner: RuleSetOwner
    version: int
    groups: list[RuleGroup] = strawberry.field(
        description="The groups of this version (a version never changes)."
    )
    change: str
    created_at: datetime
    editable: bool
    partner_pk: strawberry.Private[int]
    created_by_pk: strawberry.Private[int | None]

    @strawberry.field(description="The partner whose leads the rules register.")
    async def partner(self, info: Info) -> Partner | None:
        partner = await info.context.loaders.partner.load(self.partner_pk)
        return None if partner is None else Partner.from_model(partner)

    @strawberry.field(description="Who saved this version (null if you may not see that user).")
    async def created_by(self, info: Info) -> User | None:
        user = await lead_loaders.actor(info, self.created_by_pk)
        return None if user is None else User.from_model(user)

    @classmethod
    def from_model(cls, row: RuleSetVersionModel, editable: bool) -> RuleSet:
        return cls(
            id=global_id("RuleSet", row.id),
            partner_pk=row.partner_id,  # type: ignore[attr-defined]
            owner=row.owner,
            version=row.version,
            groups=[
                RuleGroup(conditions=[RuleCondition.from_condition(c) for c in group])
                for group in rule_set_from_json(row.groups)
            ],
            change=row.change,
            created_at=row.created_at,
            created_by_pk=row.created_by_id,  # type: ignore[attr-defined]
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
    id: strawberry.ID = strawberry.field(
        description="A stable key: the rule set explained (saved version or proposed) and the lead."
    )
    lead: Lead
    would_register: bool
    matched_group_index: int | None
    ignored_company: bool
    reason: str
    groups: list[GroupExplanation]

    @classmethod
    def build(cls, key: str, lead: LeadModel, explanation: Explanation) -> LeadExplanation:
        return cls(
            id=strawberry.ID(f"{key}:{lead.id}"),
            lead=Lead.from_model(lead),
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
    id: strawberry.ID = strawberry.field(
        description="A stable key: the partner and the rule set explained (a saved version, or "
        "the proposed groups, whose latest dry run replaces the previous one)."
    )
    partner_pk: strawberry.Private[int]
    owner: RuleSetOwner | None
    version: int | None
    proposed: bool
    auto_registration_enabled: bool
    leads: list[LeadExplanation] = strawberry.field(
        description="One explanation per lead asked about (at most 100: `recent`)."
    )

    @strawberry.field(description="The partner whose rules were explained.")
    async def partner(self, info: Info) -> Partner | None:
        partner = await info.context.loaders.partner.load(self.partner_pk)
        return None if partner is None else Partner.from_model(partner)

    @classmethod
    def build(cls, result: ExplainedRuleSet) -> AutoRegistrationExplanation:
        owner = "proposed" if result.proposed else (result.owner or "none")
        key = f"Explanation:{result.partner_id}:{owner}:{result.version or 0}"
        return cls(
            id=strawberry.ID(key),
            partner_pk=result.partner_id,
            owner=result.owner,
            version=result.version,
            proposed=result.proposed,
            auto_registration_enabled=result.auto_registration_enabled,
            leads=[LeadExplanation.build(key, lead, e) for lead, e in result.leads],
        )


RuleSetResult = Annotated[RuleSet | OperationErrors, strawberry.union("RuleSetResult")]
