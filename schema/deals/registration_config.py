"""The Query and Mutation parts of deal-registration configuration: settings, the custom form
fields, the vendor's direct deals and auto-approval rules (added to the Schema in schema.schema).

Vendor staff read the configuration, vendor admins change it; every portal user reads the active
form fields (partners fill the form). Direct deals never reach partners.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.deals import registration_config as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, IsVendorStaff
from schema.deals.approval_rule_types import (
    DealApprovalExplanation,
    DealApprovalRules,
    DealApprovalRuleScope,
    DealApprovalRulesResult,
    DealRuleGroupInput,
    rule_groups,
)
from schema.deals.registration_config_types import (
    CustomFieldKind,
    DealRegistrationField,
    DealRegistrationFieldList,
    DealRegistrationSettings,
    DealRegistrationSettingsInput,
    DirectDeal,
    DirectDealResult,
    DirectDealUpsert,
    DirectDealUpsertResult,
    FieldListResult,
    FieldResult,
    SettingsResult,
)
from schema.partners.types import PartnerTier
from schema.platform.common import (
    Connection,
    PageWindow,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import register_node
from services.deals.direct_deals import DirectDealInput
from services.platform.errors import not_found


@strawberry.type
class RegistrationConfigQuery:
    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The deal-registration settings (vendor staff).",
    )
    async def deal_registration_settings(self, info: Info) -> DealRegistrationSettings:
        return DealRegistrationSettings.from_model(await fetch(lambda: resolve.settings(info)))

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The fields of the registration form in order. includeArchived: vendor staff "
        "only, archived fields after the active ones.",
    )
    async def deal_registration_fields(
        self, info: Info, include_archived: bool = False
    ) -> list[DealRegistrationField]:
        rows = await fetch(lambda: resolve.fields(info, include_archived))
        return [DealRegistrationField.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The vendor's own sales opportunities, newest first; `company` finds a "
        "company name or domain containing it.",
    )
    async def direct_deals(
        self,
        info: Info,
        open: bool | None = None,
        company: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DirectDeal]:
        page = await fetch(
            lambda: resolve.list_direct_deals(
                info, open, company, PageWindow(first, after, last, before)
            )
        )
        return to_connection(page, DirectDeal.from_model)

    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The auto-approval rules of one partner tier or one partner group (name one).",
    )
    async def deal_approval_rules(
        self,
        info: Info,
        tier: PartnerTier | None = None,
        group_id: strawberry.ID | None = None,
    ) -> DealApprovalRuleScope:
        async def run() -> DealApprovalRuleScope:
            group_pk = parse_optional_id(group_id, "PartnerGroup", "groupId")
            return DealApprovalRuleScope.of(await resolve.rule_scope(info, tier, group_pk))

        return await fetch(run)

    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The rules in force of every tier and group that has some (tiers first).",
    )
    async def deal_approval_rule_sets(self, info: Info) -> list[DealApprovalRules]:
        rows = await fetch(lambda: resolve.current_rule_sets(info))
        return [DealApprovalRules.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="Dry run: what the auto-approval rules in force for the registration's "
        "partner (or the proposed groups) make of it, condition by condition. Writes nothing.",
    )
    async def explain_deal_approval(
        self,
        info: Info,
        registration_id: strawberry.ID,
        groups: list[DealRuleGroupInput] | None = None,
    ) -> DealApprovalExplanation:
        async def run() -> DealApprovalExplanation:
            registration_pk = parse_id(registration_id, "DealRegistration", "registrationId")
            proposed = None if groups is None else rule_groups(groups)
            return DealApprovalExplanation.build(
                await resolve.explain(info, registration_pk, proposed)
            )

        return await fetch(run)


@strawberry.type
class RegistrationConfigMutation:
    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Change the deal-registration settings; nothing changes if a value is wrong.",
    )
    async def update_deal_registration_settings(
        self, info: Info, input: DealRegistrationSettingsInput
    ) -> SettingsResult:
        async def run() -> DealRegistrationSettings:
            row = await resolve.update_settings(info, input.to_changes())
            return DealRegistrationSettings.from_model(row)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Add a field at the end of the registration form. The key and kind never "
        "change; choices only (and always) for CHOICE.",
    )
    async def create_deal_registration_field(
        self,
        info: Info,
        key: str,
        label: str,
        kind: CustomFieldKind,
        choices: list[str] | None = None,
        required: bool = False,
    ) -> FieldResult:
        async def run() -> DealRegistrationField:
            row = await resolve.create_field(info, key, label, kind, choices, required)
            return DealRegistrationField.from_model(row)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Change a field's label, choices or whether it is required.",
    )
    async def update_deal_registration_field(
        self,
        info: Info,
        id: strawberry.ID,
        label: str | None = None,
        choices: list[str] | None = None,
        required: bool | None = None,
    ) -> FieldResult:
        async def run() -> DealRegistrationField:
            pk = parse_id(id, "DealRegistrationField")
            return DealRegistrationField.from_model(
                await resolve.update_field(info, pk, label, choices, required)
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Archive a field (no longer asked for) or, archived=false, bring it back "
        "at the end of the form.",
    )
    async def archive_deal_registration_field(
        self, info: Info, id: strawberry.ID, archived: bool = True
    ) -> FieldResult:
        async def run() -> DealRegistrationField:
            pk = parse_id(id, "DealRegistrationField")
            return DealRegistrationField.from_model(
                await resolve.set_field_archived(info, pk, archived)
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Put the active fields in this order (every active field exactly once).",
    )
    async def reorder_deal_registration_fields(
        self, info: Info, field_ids: list[strawberry.ID]
    ) -> FieldListResult:
        async def run() -> DealRegistrationFieldList:
            pks = [parse_id(i, "DealRegistrationField", "fieldIds") for i in field_ids]
            rows = await resolve.reorder_fields(info, pks)
            return DealRegistrationFieldList(
                fields=[DealRegistrationField.from_model(row) for row in rows]
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Create or update the vendor's own opportunity with this external (CRM) id; "
        "safe to repeat. Open deals flag partners' registrations for the same company.",
    )
    async def upsert_direct_deal(
        self,
        info: Info,
        external_id: str,
        company_name: str,
        company_domain: str = "",
        owner_name: str = "",
        open: bool = True,
    ) -> DirectDealUpsertResult:
        async def run() -> DirectDealUpsert:
            data = DirectDealInput(external_id, company_name, company_domain, owner_name, open)
            row, created = await resolve.upsert_direct_deal(info, data)
            return DirectDealUpsert(direct_deal=DirectDeal.from_model(row), created=created)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="The vendor's sales team is done with this deal: it no longer conflicts.",
    )
    async def close_direct_deal(self, info: Info, id: strawberry.ID) -> DirectDealResult:
        async def run() -> DirectDeal:
            pk = parse_id(id, "DirectDeal")
            return DirectDeal.from_model(await resolve.close_direct_deal(info, pk))

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Save a new version of the auto-approval rules of a partner tier or group "
        "(name one). No groups: nothing is auto-approved through it any more.",
    )
    async def save_deal_approval_rules(
        self,
        info: Info,
        groups: list[DealRuleGroupInput],
        tier: PartnerTier | None = None,
        group_id: strawberry.ID | None = None,
        change: str | None = None,
    ) -> DealApprovalRulesResult:
        async def run() -> DealApprovalRules:
            group_pk = parse_optional_id(group_id, "PartnerGroup", "groupId")
            scope = await resolve.rule_scope(info, tier, group_pk)
            row = await resolve.save_rules(info, scope, rule_groups(groups), change)
            return DealApprovalRules.from_model(row)

        return await mutate(run)


async def _load_settings(info: Info, pk: int) -> DealRegistrationSettings:
    row = await resolve.settings(info)
    if row.id != pk:
        raise not_found("Deal registration settings")
    return DealRegistrationSettings.from_model(row)


async def _load_field(info: Info, pk: int) -> DealRegistrationField:
    return DealRegistrationField.from_model(await resolve.field(info, pk))


async def _load_direct_deal(info: Info, pk: int) -> DirectDeal:
    return DirectDeal.from_model(await resolve.direct_deal(info, pk))


async def _load_rules(info: Info, pk: int) -> DealApprovalRules:
    return DealApprovalRules.from_model(await resolve.rule_version(info, pk))


register_node("DealRegistrationSettings", _load_settings, IsVendorStaff)
register_node("DealRegistrationField", _load_field, IsAuthenticated)
register_node("DirectDeal", _load_direct_deal, IsVendorStaff)
register_node("DealApprovalRules", _load_rules, IsVendorStaff)
