"""Lead management in GraphQL: partner leads, auto-registration rules, distribution, recipients.

The lead type is called `ManagedLead`; the `leadAssigned` subscription pushes the leads newly
distributed to the caller's partner org, after first replaying the ones still waiting for an answer.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from models.lead_management import AutoRegistrationMode as AutoRegistrationModeModel
from models.lead_management import IgnoredCompany as IgnoredCompanyModel
from models.lead_management import LeadDistribution as LeadDistributionModel
from models.lead_management import LeadManagementSettings as SettingsModel
from models.lead_management import LeadSettingsChange as SettingsChangeModel
from models.lead_management import RuleSetOwner as RuleSetOwnerModel
from models.lead_management import RuleSetVersion as RuleSetVersionModel
from models.leads import DistributionStatus as DistributionStatusModel
from models.leads import Lead as LeadModel
from models.leads import LeadEvent as LeadEventModel
from models.leads import LeadSource as LeadSourceModel
from models.leads import RegistrationStatus as RegistrationStatusModel
from resolvers.leads import resolvers as resolve
from resolvers.platform.permissions import IsAdmin, IsAuthenticated, IsVendorAdmin, PublicError
from schema.partners.types import SalesRep, User
from schema.platform.common import (
    Connection,
    OperationErrors,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from services.leads.rules import Condition, Explanation
from services.leads.rules import LeadField as LeadFieldModel
from services.leads.rules import Operator as OperatorModel
from services.leads.service import ExplainedRuleSet, LeadInput, NotificationRecipients
from services.platform.errors import ServiceError
from services.platform.pubsub import SubscriberDropped

LeadField = strawberry.enum(
    LeadFieldModel, name="LeadField", description="A lead field rules read."
)
RuleOperator = strawberry.enum(
    OperatorModel, name="RuleOperator", description="How a condition compares (text ignores case)."
)
AutoRegistrationMode = strawberry.enum(AutoRegistrationModeModel, name="AutoRegistrationMode")
RuleSetOwner = strawberry.enum(
    RuleSetOwnerModel,
    name="RuleSetOwner",
    description="SUPPLIER: rules the vendor defines for the partner, PARTNER: the partner's own.",
)
LeadDistributionStatus = strawberry.enum(DistributionStatusModel, name="LeadDistributionStatus")
LeadRegistrationStatus = strawberry.enum(RegistrationStatusModel, name="LeadRegistrationStatus")
LeadSource = strawberry.enum(LeadSourceModel, name="LeadSource")


def _id(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


# ---- rules -----------------------------------------------------------------------------------


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
        from services.leads.rules import rule_set_from_json

        return cls(
            partner_id=strawberry.ID(str(row.partner_id)),  # type: ignore[attr-defined]
            owner=row.owner,
            version=row.version,
            groups=[
                RuleGroup(conditions=[RuleCondition.from_condition(c) for c in group])
                for group in rule_set_from_json(row.groups)
            ],
            change=row.change,
            created_at=row.created_at,
            created_by_id=_id(row.created_by_id),  # type: ignore[attr-defined]
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


def _groups(groups: list[RuleGroupInput]) -> list[list[Condition]]:
    return [[c.to_condition() for c in group.conditions] for group in groups]


@strawberry.type(description="A partner's lead management settings.")
class LeadManagementSettings:
    partner_id: strawberry.ID
    auto_registration_enabled: bool
    mode: AutoRegistrationMode
    auto_accept: bool

    @classmethod
    def from_model(cls, row: SettingsModel) -> LeadManagementSettings:
        return cls(
            partner_id=strawberry.ID(str(row.partner_id)),  # type: ignore[attr-defined]
            auto_registration_enabled=row.auto_registration_enabled,
            mode=row.mode,
            auto_accept=row.auto_accept,
        )

    @strawberry.field(
        description="The rules the vendor defines for this partner (read-only to it)."
    )
    async def supplier_rules(self, info: Info) -> RuleSet | None:
        return await _rule_set(info, int(self.partner_id), RuleSetOwnerModel.SUPPLIER)

    @strawberry.field(description="The partner's own rules.")
    async def partner_rules(self, info: Info) -> RuleSet | None:
        return await _rule_set(info, int(self.partner_id), RuleSetOwnerModel.PARTNER)

    @strawberry.field
    async def ignored_companies(self, info: Info) -> list[str]:
        rows = await fetch(lambda: resolve.ignored_companies(info, int(self.partner_id)))
        return [row.name for row in rows]


async def _rule_set(info: Info, partner_id: int, owner: RuleSetOwnerModel) -> RuleSet | None:
    from services.leads.service import can_edit_rules

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
            actor_id=_id(row.actor_id),  # type: ignore[attr-defined]
            created_at=row.created_at,
        )


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
            partner_id=strawberry.ID(str(result.partner_id)),
            owner=result.owner,
            version=result.version,
            proposed=result.proposed,
            auto_registration_enabled=result.auto_registration_enabled,
            leads=[LeadExplanation.build(lead, e) for lead, e in result.leads],
        )


# ---- leads -----------------------------------------------------------------------------------


@strawberry.type(description="An entry of a lead's history.")
class LeadHistoryEntry:
    kind: str
    details: strawberry.scalars.JSON
    actor_id: strawberry.ID | None
    partner_id: strawberry.ID | None
    created_at: datetime

    @classmethod
    def from_model(cls, row: LeadEventModel) -> LeadHistoryEntry:
        return cls(
            kind=row.kind,
            details=row.details,
            actor_id=_id(row.actor_id),  # type: ignore[attr-defined]
            partner_id=_id(row.partner_id),  # type: ignore[attr-defined]
            created_at=row.created_at,
        )


@strawberry.type(description="The current hand-out of a distributed lead.")
class LeadDistributionInfo:
    partner_id: strawberry.ID
    state: str
    auto_accepted: bool
    accept_by: datetime | None
    reject_reason: str
    distributed_at: datetime
    answered_at: datetime | None


@strawberry.type(description="A lead: a partner's own, or one the vendor distributes.")
class ManagedLead:
    id: strawberry.ID
    partner_id: strawberry.ID | None
    source: LeadSource
    email: str
    company: str
    first_name: str
    last_name: str
    phone: str
    country: str
    industry: str
    employees: int | None
    estimated_value: str | None
    notes: str
    locale: str
    registration_status: LeadRegistrationStatus
    registered_at: datetime | None
    distribution_status: LeadDistributionStatus
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[LeadModel]
    # Filled by list queries (one query per kind for the whole page) instead of one per lead.
    prefetched_history: strawberry.Private[list[LeadEventModel] | None] = None
    prefetched_distribution: strawberry.Private[tuple[LeadDistributionModel | None] | None] = None

    @classmethod
    def from_model(cls, lead: LeadModel) -> ManagedLead:
        return cls(
            id=strawberry.ID(str(lead.id)),
            partner_id=_id(lead.partner_id),  # type: ignore[attr-defined]
            source=lead.source,
            email=lead.email,
            company=lead.company,
            first_name=lead.first_name,
            last_name=lead.last_name,
            phone=lead.phone,
            country=lead.country,
            industry=lead.industry,
            employees=lead.employees,
            estimated_value=None if lead.estimated_value is None else str(lead.estimated_value),
            notes=lead.notes,
            locale=lead.locale,
            registration_status=lead.registration_status,
            registered_at=lead.registered_at,
            distribution_status=lead.distribution_status,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
            model=lead,
        )

    @strawberry.field(description="The lead's history (a partner sees its own part of it).")
    async def history(self, info: Info) -> list[LeadHistoryEntry]:
        if self.prefetched_history is not None:
            rows = self.prefetched_history
        else:
            rows = await fetch(lambda: resolve.lead_history(info, self.model))
        return [LeadHistoryEntry.from_model(row) for row in rows]

    @strawberry.field(description="The latest distribution of this lead, if it was distributed.")
    async def distribution(self, info: Info) -> LeadDistributionInfo | None:
        if self.prefetched_distribution is not None:
            row = self.prefetched_distribution[0]
        else:
            row = await resolve.current_distribution(self.model)
        viewer = info.context.viewer
        if row is None:
            return None
        partner_id: int = row.partner_id  # type: ignore[attr-defined]
        if not (
            (viewer.is_vendor_staff and viewer.can_see_partner(partner_id))
            or viewer.partner_id == partner_id
        ):
            return None
        return LeadDistributionInfo(
            partner_id=strawberry.ID(str(row.partner_id)),  # type: ignore[attr-defined]
            state=row.state.value,
            auto_accepted=row.auto_accepted,
            accept_by=row.accept_by,
            reject_reason=row.reject_reason,
            distributed_at=row.distributed_at,
            answered_at=row.answered_at,
        )


@strawberry.input
class LeadFieldsInput:
    email: str | None = None
    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    estimated_value: str | None = None
    notes: str | None = None
    locale: str | None = None

    def to_service(self) -> LeadInput:
        return LeadInput(**{name: getattr(self, name) for name in LeadInput.__dataclass_fields__})


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
            partner_id=strawberry.ID(str(result.partner_id)),
            users=[User.from_model(u) for u in result.users],
            sales_reps=[SalesRep.from_model(r) for r in result.sales_reps],
            supplier_default_user=None
            if result.supplier_default_user is None
            else User.from_model(result.supplier_default_user),
            available_users=[User.from_model(u) for u in result.all_users],
            available_sales_reps=[SalesRep.from_model(r) for r in result.all_sales_reps],
        )


@strawberry.type
class DistributedLeads:
    partner_id: strawberry.ID
    leads: list[ManagedLead]


@strawberry.type
class IgnoredCompanies:
    names: list[str]

    @classmethod
    def build(cls, rows: list[IgnoredCompanyModel]) -> IgnoredCompanies:
        return cls(names=[row.name for row in rows])


ManagedLeadResult = Annotated[ManagedLead | OperationErrors, strawberry.union("ManagedLeadResult")]
RuleSetResult = Annotated[RuleSet | OperationErrors, strawberry.union("RuleSetResult")]
LeadSettingsResult = Annotated[
    LeadManagementSettings | OperationErrors, strawberry.union("LeadSettingsResult")
]
IgnoredCompaniesResult = Annotated[
    IgnoredCompanies | OperationErrors, strawberry.union("IgnoredCompaniesResult")
]
RecipientsResult = Annotated[
    LeadNotificationRecipients | OperationErrors, strawberry.union("LeadRecipientsResult")
]
DistributeResult = Annotated[
    DistributedLeads | OperationErrors, strawberry.union("DistributeLeadsResult")
]


def _selected_names(selections: Sequence[Any]) -> set[str]:
    """Every field name selected anywhere below these selections (fragments included)."""
    names: set[str] = set()
    for selection in selections:
        name = getattr(selection, "name", None)
        if name:
            names.add(name)
        names |= _selected_names(getattr(selection, "selections", None) or [])
    return names


def _pid(partner_id: strawberry.ID | None) -> int | None:
    return None if partner_id is None else parse_id(partner_id, "Partner")


def _saved(row: RuleSetVersionModel, info: Info) -> RuleSet:
    return RuleSet.from_model(row, True)


@strawberry.type
class LeadManagementQuery:
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="A partner's lead management settings (your own org if partnerId is left out).",
    )
    async def lead_management_settings(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> LeadManagementSettings:
        row = await fetch(lambda: resolve.get_settings(info, _pid(partner_id)))
        return LeadManagementSettings.from_model(row)

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Every saved version of a rule set, newest first, with who and when.",
    )
    async def auto_registration_history(
        self,
        info: Info,
        owner: RuleSetOwner,
        partner_id: strawberry.ID | None = None,
        limit: int = 50,
    ) -> list[RuleSet]:
        from services.leads.service import can_edit_rules

        rows = await fetch(lambda: resolve.rule_set_history(info, _pid(partner_id), owner, limit))
        return [
            RuleSet.from_model(
                row,
                can_edit_rules(info.context.viewer, row.partner_id, owner),  # type: ignore[attr-defined]
            )
            for row in rows
        ]

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Changes of auto-registration, auto-accept, ignored companies and recipients.",
    )
    async def lead_settings_history(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> list[LeadSettingsChange]:
        rows = await fetch(lambda: resolve.settings_history(info, _pid(partner_id)))
        return [LeadSettingsChange.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Dry run: what a rule set (the one in force, a saved one by owner, or the "
        "proposed groups) would do with one lead or the partner's most recent leads.",
    )
    async def explain_auto_registration(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        lead_id: strawberry.ID | None = None,
        groups: list[RuleGroupInput] | None = None,
        owner: RuleSetOwner | None = None,
        recent: int = 20,
    ) -> AutoRegistrationExplanation:
        result = await fetch(
            lambda: resolve.explain(
                info,
                _pid(partner_id),
                None if lead_id is None else parse_id(lead_id, "Lead"),
                None if groups is None else _groups(groups),
                owner,
                recent,
            )
        )
        return AutoRegistrationExplanation.build(result)

    @strawberry.field(permission_classes=[IsAdmin])
    async def lead_notification_recipients(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> LeadNotificationRecipients:
        result = await fetch(lambda: resolve.notification_recipients(info, _pid(partner_id)))
        return LeadNotificationRecipients.build(result)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Leads you may see: your org's own and distributed leads; vendor admins "
        "also see the vendor-held ones.",
    )
    async def managed_leads(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        distribution_status: LeadDistributionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ManagedLead]:
        page = await fetch(
            lambda: resolve.list_leads(info, _pid(partner_id), distribution_status, first, after)
        )
        connection = to_connection(page, ManagedLead.from_model)
        nodes = [edge.node for edge in connection.edges]
        requested = _selected_names(info.selected_fields)
        if nodes and "history" in requested:
            histories = await resolve.lead_histories(info, page.items)
            for node in nodes:
                node.prefetched_history = histories[node.model.id]
        if nodes and "distribution" in requested:
            distributions = await resolve.current_distributions(page.items)
            for node in nodes:
                node.prefetched_distribution = (distributions.get(node.model.id),)
        return connection

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def managed_lead(self, info: Info, id: strawberry.ID) -> ManagedLead:
        lead = await fetch(lambda: resolve.get_lead(info, parse_id(id, "Lead")))
        return ManagedLead.from_model(lead)


@strawberry.type
class LeadManagementMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A partner user records a lead of their org; auto-registration rules run.",
    )
    async def create_lead(self, info: Info, input: LeadFieldsInput) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            return ManagedLead.from_model(await resolve.create_lead(info, input.to_service()))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A partner user edits a lead of their org; auto-registration rules run.",
    )
    async def update_lead(
        self, info: Info, id: strawberry.ID, input: LeadFieldsInput
    ) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            lead = await resolve.update_lead(info, parse_id(id, "Lead"), input.to_service())
            return ManagedLead.from_model(lead)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="A vendor admin records a lead to distribute to partners.",
    )
    async def create_vendor_lead(self, info: Info, input: LeadFieldsInput) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            lead = await resolve.create_vendor_lead(info, input.to_service())
            return ManagedLead.from_model(lead)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Turn auto-registration on or off and choose whose rules apply.",
    )
    async def set_auto_registration(
        self,
        info: Info,
        enabled: bool,
        mode: AutoRegistrationMode | None = None,
        partner_id: strawberry.ID | None = None,
    ) -> LeadSettingsResult:
        async def run() -> LeadManagementSettings:
            row = await resolve.set_auto_registration(info, _pid(partner_id), enabled, mode)
            return LeadManagementSettings.from_model(row)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Accept the vendor's distributed leads at once (no notification emails).",
    )
    async def set_lead_auto_accept(
        self, info: Info, enabled: bool, partner_id: strawberry.ID | None = None
    ) -> LeadSettingsResult:
        async def run() -> LeadManagementSettings:
            row = await resolve.set_auto_accept(info, _pid(partner_id), enabled)
            return LeadManagementSettings.from_model(row)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Save a whole new rule set (a new version). SUPPLIER rules: vendor admins "
        "only; PARTNER rules: the partner's admins only.",
    )
    async def replace_auto_registration_rules(
        self,
        info: Info,
        owner: RuleSetOwner,
        groups: list[RuleGroupInput],
        partner_id: strawberry.ID | None = None,
    ) -> RuleSetResult:
        async def run() -> RuleSet:
            row = await resolve.replace_rule_set(info, _pid(partner_id), owner, _groups(groups))
            return _saved(row, info)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Add a group (a new version).")
    async def add_auto_registration_group(
        self,
        info: Info,
        owner: RuleSetOwner,
        conditions: list[RuleConditionInput],
        partner_id: strawberry.ID | None = None,
    ) -> RuleSetResult:
        async def run() -> RuleSet:
            row = await resolve.add_group(
                info, _pid(partner_id), owner, [c.to_condition() for c in conditions]
            )
            return _saved(row, info)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Remove a group (zero-based).")
    async def remove_auto_registration_group(
        self,
        info: Info,
        owner: RuleSetOwner,
        group_index: int,
        partner_id: strawberry.ID | None = None,
    ) -> RuleSetResult:
        async def run() -> RuleSet:
            row = await resolve.remove_group(info, _pid(partner_id), owner, group_index)
            return _saved(row, info)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Add a condition to a group.")
    async def add_auto_registration_condition(
        self,
        info: Info,
        owner: RuleSetOwner,
        group_index: int,
        condition: RuleConditionInput,
        partner_id: strawberry.ID | None = None,
    ) -> RuleSetResult:
        async def run() -> RuleSet:
            row = await resolve.add_condition(
                info, _pid(partner_id), owner, group_index, condition.to_condition()
            )
            return _saved(row, info)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Remove a condition; a group left empty is removed with it.",
    )
    async def remove_auto_registration_condition(
        self,
        info: Info,
        owner: RuleSetOwner,
        group_index: int,
        condition_index: int,
        partner_id: strawberry.ID | None = None,
    ) -> RuleSetResult:
        async def run() -> RuleSet:
            row = await resolve.remove_condition(
                info, _pid(partner_id), owner, group_index, condition_index
            )
            return _saved(row, info)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Ignore a company: its leads are never auto-registered.",
    )
    async def add_ignored_company(
        self, info: Info, name: str, partner_id: strawberry.ID | None = None
    ) -> IgnoredCompaniesResult:
        async def run() -> IgnoredCompanies:
            return IgnoredCompanies.build(
                await resolve.add_ignored_company(info, _pid(partner_id), name)
            )

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def remove_ignored_company(
        self, info: Info, name: str, partner_id: strawberry.ID | None = None
    ) -> IgnoredCompaniesResult:
        async def run() -> IgnoredCompanies:
            return IgnoredCompanies.build(
                await resolve.remove_ignored_company(info, _pid(partner_id), name)
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Choose exactly which partner users and sales reps get lead notifications.",
    )
    async def set_lead_notification_recipients(
        self,
        info: Info,
        user_ids: list[strawberry.ID],
        sales_rep_ids: list[strawberry.ID],
        partner_id: strawberry.ID | None = None,
    ) -> RecipientsResult:
        async def run() -> LeadNotificationRecipients:
            result = await resolve.set_notification_recipients(
                info,
                _pid(partner_id),
                [parse_id(u, "User") for u in user_ids],
                [parse_id(r, "Sales rep") for r in sales_rep_ids],
            )
            return LeadNotificationRecipients.build(result)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="The vendor assigns (or clears) a partner's default lead-notification user.",
    )
    async def set_supplier_default_lead_user(
        self, info: Info, partner_id: strawberry.ID, user_id: strawberry.ID | None = None
    ) -> RecipientsResult:
        async def run() -> LeadNotificationRecipients:
            result = await resolve.set_supplier_default_user(
                info,
                parse_id(partner_id, "Partner"),
                None if user_id is None else parse_id(user_id, "User"),
            )
            return LeadNotificationRecipients.build(result)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Distribute vendor leads to a partner, optionally with an accept-by deadline.",
    )
    async def distribute_leads(
        self,
        info: Info,
        lead_ids: list[strawberry.ID],
        partner_id: strawberry.ID,
        accept_by: datetime | None = None,
    ) -> DistributeResult:
        async def run() -> DistributedLeads:
            result = await resolve.distribute_leads(
                info,
                [parse_id(i, "Lead") for i in lead_ids],
                parse_id(partner_id, "Partner"),
                accept_by,
            )
            return DistributedLeads(
                partner_id=strawberry.ID(str(result.partner_id)),
                leads=[ManagedLead.from_model(lead) for lead in result.leads],
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Accept a lead distributed to your org."
    )
    async def accept_lead(self, info: Info, id: strawberry.ID) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            return ManagedLead.from_model(await resolve.accept_lead(info, parse_id(id, "Lead")))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Reject a distributed lead with a reason; it returns to the vendor.",
    )
    async def reject_lead(self, info: Info, id: strawberry.ID, reason: str) -> ManagedLeadResult:
        async def run() -> ManagedLead:
            lead = await resolve.reject_lead(info, parse_id(id, "Lead"), reason)
            return ManagedLead.from_model(lead)

        return await mutate(run)


@strawberry.type
class LeadManagementSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Leads distributed to your partner org: first those still waiting for an "
        "answer, then each new one as it is distributed.",
    )
    async def lead_assigned(self, info: Info) -> AsyncGenerator[ManagedLead, None]:
        viewer = info.context.viewer
        if not viewer.is_partner_member:
            raise PublicError(
                "Lead assignments are for partner users.", extensions={"code": "FORBIDDEN"}
            )
        stream: Any = resolve.lead_assignments(info)
        try:
            async for lead in stream:
                yield ManagedLead.from_model(lead)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        except SubscriberDropped:
            raise PublicError(
                "Too many leads arrived at once for this connection: subscribe again to reload.",
                extensions={"code": "RESUBSCRIBE"},
            ) from None
        finally:
            await stream.aclose()
