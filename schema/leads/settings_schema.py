"""The Query and Mutation parts of lead management settings: auto-registration and its rules,
auto-accept, ignored companies and notification recipients; `schema.leads.schema` adds them to
the leads domain's parts.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.lead_management import RuleSetVersion as RuleSetVersionModel
from resolvers.leads import resolvers as resolve
from resolvers.platform.permissions import IsAdmin, IsVendorAdmin
from schema.leads.rule_types import (
    AutoRegistrationExplanation,
    RuleConditionInput,
    RuleGroupInput,
    RuleSet,
    RuleSetOwner,
    RuleSetResult,
    rule_groups,
)
from schema.leads.settings_change_types import AutoRegistrationMode, LeadSettingsChange
from schema.leads.settings_types import (
    IgnoredCompany,
    LeadManagementSettings,
    LeadNotificationRecipients,
    LeadSettingsResult,
    RecipientsResult,
)
from schema.leads.types import optional_partner_id
from schema.platform.common import Connection, PageWindow, fetch, mutate, parse_id, to_connection
from schema.platform.node import register_node
from services.leads.access import can_edit_rules


def _saved(row: RuleSetVersionModel, info: Info) -> RuleSet:
    return RuleSet.from_model(row, True)


@strawberry.type
class LeadSettingsQuery:
    @strawberry.field(
        permission_classes=[IsAdmin],
        description="A partner's lead management settings (your own org if partnerId is left out).",
    )
    async def lead_management_settings(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> LeadManagementSettings:
        row = await fetch(lambda: resolve.get_settings(info, optional_partner_id(partner_id)))
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
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[RuleSet]:
        page = await fetch(
            lambda: resolve.rule_set_history(
                info,
                optional_partner_id(partner_id),
                owner,
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(
            page,
            lambda row: RuleSet.from_model(
                row,
                can_edit_rules(info.context.viewer, row.partner_id, owner),
            ),
        )

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="Changes of auto-registration, auto-accept, ignored companies and recipients, "
        "newest first.",
    )
    async def lead_settings_history(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[LeadSettingsChange]:
        page = await fetch(
            lambda: resolve.settings_history(
                info, optional_partner_id(partner_id), PageWindow(first, after, last, before)
            )
        )
        return to_connection(page, LeadSettingsChange.from_model)

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
                optional_partner_id(partner_id),
                None if lead_id is None else parse_id(lead_id, "Lead", "leadId"),
                None if groups is None else rule_groups(groups),
                owner,
                recent,
            )
        )
        return AutoRegistrationExplanation.build(result)

    @strawberry.field(permission_classes=[IsAdmin])
    async def lead_notification_recipients(
        self, info: Info, partner_id: strawberry.ID | None = None
    ) -> LeadNotificationRecipients:
        result = await fetch(
            lambda: resolve.notification_recipients(info, optional_partner_id(partner_id))
        )
        return LeadNotificationRecipients.build(result)


@strawberry.type
class LeadSettingsMutation:
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
            row = await resolve.set_auto_registration(
                info, optional_partner_id(partner_id), enabled, mode
            )
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
            row = await resolve.set_auto_accept(info, optional_partner_id(partner_id), enabled)
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
            row = await resolve.replace_rule_set(
                info, optional_partner_id(partner_id), owner, rule_groups(groups)
            )
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
                info, optional_partner_id(partner_id), owner, [c.to_condition() for c in conditions]
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
            row = await resolve.remove_group(
                info, optional_partner_id(partner_id), owner, group_index
            )
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
                info, optional_partner_id(partner_id), owner, group_index, condition.to_condition()
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
                info, optional_partner_id(partner_id), owner, group_index, condition_index
            )
            return _saved(row, info)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Ignore a company: its leads are never auto-registered. Answers the settings "
        "with their ignoredCompanies.",
    )
    async def add_ignored_company(
        self, info: Info, name: str, partner_id: strawberry.ID | None = None
    ) -> LeadSettingsResult:
        async def run() -> LeadManagementSettings:
            wanted = optional_partner_id(partner_id)
            await resolve.add_ignored_company(info, wanted, name)
            return LeadManagementSettings.from_model(await resolve.get_settings(info, wanted))

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def remove_ignored_company(
        self, info: Info, name: str, partner_id: strawberry.ID | None = None
    ) -> LeadSettingsResult:
        async def run() -> LeadManagementSettings:
            wanted = optional_partner_id(partner_id)
            await resolve.remove_ignored_company(info, wanted, name)
            return LeadManagementSettings.from_model(await resolve.get_settings(info, wanted))

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
                optional_partner_id(partner_id),
                [parse_id(u, "User", "userIds") for u in user_ids],
                [parse_id(r, "SalesRep", "salesRepIds") for r in sales_rep_ids],
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
                parse_id(partner_id, "Partner", "partnerId"),
                None if user_id is None else parse_id(user_id, "User", "userId"),
            )
            return LeadNotificationRecipients.build(result)

        return await mutate(run)


async def _load_settings(info: Info, partner_pk: int) -> LeadManagementSettings:
    return LeadManagementSettings.from_model(await resolve.get_settings(info, partner_pk))


async def _load_recipients(info: Info, partner_pk: int) -> LeadNotificationRecipients:
    return LeadNotificationRecipients.build(await resolve.notification_recipients(info, partner_pk))


async def _load_rule_set(info: Info, pk: int) -> RuleSet:
    row = await resolve.rule_set_version(info, pk)
    partner_pk: int = row.partner_id  # type: ignore[attr-defined]
    return RuleSet.from_model(row, can_edit_rules(info.context.viewer, partner_pk, row.owner))


async def _load_settings_change(info: Info, pk: int) -> LeadSettingsChange:
    return LeadSettingsChange.from_model(await resolve.settings_change(info, pk))


async def _load_ignored_company(info: Info, pk: int) -> IgnoredCompany:
    return IgnoredCompany.from_model(await resolve.ignored_company(info, pk))


register_node("LeadManagementSettings", _load_settings, IsAdmin)
register_node("LeadSettingsChange", _load_settings_change, IsAdmin)
register_node("IgnoredCompany", _load_ignored_company, IsAdmin)
register_node("LeadNotificationRecipients", _load_recipients, IsAdmin)
register_node("RuleSet", _load_rule_set, IsAdmin)
