"""Partner organisations and partner groups: queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.partners import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsVendorAdmin, IsVendorStaff
from schema.partners import batched_fields  # noqa: F401  (registers the batched forms)
from schema.partners.types import (
    GroupKind,
    GroupRuleField,
    GroupRuleOperator,
    InvoicingDetails,
    Partner,
    PartnerGroup,
    PartnerStatus,
    PartnerTier,
)
from schema.platform.common import (
    Connection,
    Done,
    OperationErrors,
    PageWindow,
    UpdatedSince,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from schema.platform.node import register_node
from schema.users.types import NewUserInput
from services.partners.service import PartnerFields

PartnerResult = Annotated[Partner | OperationErrors, strawberry.union("PartnerResult")]
PartnerGroupResult = Annotated[
    PartnerGroup | OperationErrors, strawberry.union("PartnerGroupResult")
]
DoneResult = Annotated[Done | OperationErrors, strawberry.union("DoneResult")]


@strawberry.input
class InvoicingInput:
    company_name: str | None = None
    vat_number: str | None = None
    address: str | None = None
    email: str | None = None


@strawberry.input
class PartnerInput:
    name: str | None = None
    status: PartnerStatus | None = None
    tier: PartnerTier | None = None
    country: str | None = None
    invoicing: InvoicingInput | None = None

    def to_fields(self) -> PartnerFields:
        invoicing = self.invoicing or InvoicingInput()
        return PartnerFields(
            name=self.name,
            status=self.status,
            tier=self.tier,
            country=self.country,
            invoice_company_name=invoicing.company_name,
            invoice_vat_number=invoicing.vat_number,
            invoice_address=invoicing.address,
            invoice_email=invoicing.email,
        )


@strawberry.input(description="A condition of a dynamic group, e.g. tier in [gold, platinum].")
class GroupConditionInput:
    field: GroupRuleField
    operator: GroupRuleOperator
    values: list[str]


@strawberry.input
class PartnerGroupInput:
    name: str | None = None
    description: str | None = None
    kind: GroupKind | None = None
    rule: list[GroupConditionInput] | None = None


@strawberry.type
class PartnerQuery:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Partners you may see.")
    async def partners(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
        search: str | None = None,
        status: PartnerStatus | None = None,
    ) -> Connection[Partner]:
        page = await fetch(
            lambda: resolve.list_partners(
                info, PageWindow(first, after, last, before, updated_since), search, status
            )
        )
        return to_connection(page, Partner.from_model)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info, id: strawberry.ID) -> Partner | None:
        return Partner.from_model(
            await fetch(lambda: resolve.get_partner(info, parse_id(id, "Partner")))
        )

    @strawberry.field(permission_classes=[IsVendorStaff])
    async def partner_groups(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PartnerGroup]:
        page = await fetch(
            lambda: resolve.list_groups(info, PageWindow(first, after, last, before))
        )
        return to_connection(page, PartnerGroup.from_model)

    @strawberry.field(permission_classes=[IsVendorStaff])
    async def partner_group(self, info: Info, id: strawberry.ID) -> PartnerGroup | None:
        return PartnerGroup.from_model(
            await fetch(lambda: resolve.get_group(info, parse_id(id, "PartnerGroup")))
        )


@strawberry.type
class PartnerMutation:
    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Create a partner org with its first partner admin.",
    )
    async def create_partner(
        self,
        info: Info,
        input: PartnerInput,
        first_admin: NewUserInput,
        group_ids: list[strawberry.ID] | None = None,
    ) -> PartnerResult:
        async def run() -> Partner:
            groups = [parse_id(g, "PartnerGroup", "groupIds") for g in group_ids or []]
            partner = await resolve.create_partner(
                info, input.to_fields(), first_admin.to_new_user(), groups
            )
            return Partner.from_model(partner)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_partner(
        self, info: Info, id: strawberry.ID, input: PartnerInput
    ) -> PartnerResult:
        async def run() -> Partner:
            partner = await resolve.update_partner(info, parse_id(id, "Partner"), input.to_fields())
            return Partner.from_model(partner)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Create a partner group (no id) or change one.",
    )
    async def save_partner_group(
        self, info: Info, input: PartnerGroupInput, id: strawberry.ID | None = None
    ) -> PartnerGroupResult:
        async def run() -> PartnerGroup:
            rule = (
                None
                if input.rule is None
                else [
                    {"field": c.field.value, "operator": c.operator.value, "values": c.values}
                    for c in input.rule
                ]
            )
            group = await resolve.save_group(
                info,
                None if id is None else parse_id(id, "PartnerGroup"),
                input.name,
                input.description,
                input.kind,
                rule,
            )
            return PartnerGroup.from_model(group)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsVendorAdmin])
    async def delete_partner_group(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.delete_group(info, parse_id(id, "PartnerGroup"))
            return Done()

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="Add partners to a static group."
    )
    async def add_partners_to_group(
        self, info: Info, group_id: strawberry.ID, partner_ids: list[strawberry.ID]
    ) -> PartnerGroupResult:
        return await _membership(info, group_id, partner_ids, member=True)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin], description="Remove partners from a static group."
    )
    async def remove_partners_from_group(
        self, info: Info, group_id: strawberry.ID, partner_ids: list[strawberry.ID]
    ) -> PartnerGroupResult:
        return await _membership(info, group_id, partner_ids, member=False)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Set which partners a channel manager looks after (replaces the list).",
    )
    async def set_managed_partners(
        self, info: Info, manager_id: strawberry.ID, partner_ids: list[strawberry.ID]
    ) -> DoneResult:
        async def run() -> Done:
            await resolve.set_managed_partners(
                info,
                parse_id(manager_id, "User", "managerId"),
                [parse_id(p, "Partner", "partnerIds") for p in partner_ids],
            )
            return Done()

        return await mutate(run)


async def _membership(
    info: Info, group_id: strawberry.ID, partner_ids: list[strawberry.ID], member: bool
) -> PartnerGroup | OperationErrors:
    async def run() -> PartnerGroup:
        group = await resolve.set_group_membership(
            info,
            parse_id(group_id, "PartnerGroup", "groupId"),
            [parse_id(p, "Partner", "partnerIds") for p in partner_ids],
            member,
        )
        return PartnerGroup.from_model(group)

    return await mutate(run)


async def _load_partner(info: Info, pk: int) -> Partner:
    return Partner.from_model(await resolve.get_partner(info, pk))


async def _load_group(info: Info, pk: int) -> PartnerGroup:
    return PartnerGroup.from_model(await resolve.get_group(info, pk))


async def _load_invoicing(info: Info, pk: int) -> InvoicingDetails:
    return Partner.from_model(await resolve.get_partner(info, pk)).invoicing_details


register_node("Partner", _load_partner, IsAuthenticated)
register_node("PartnerGroup", _load_group, IsVendorStaff)
register_node("InvoicingDetails", _load_invoicing, IsAuthenticated)
