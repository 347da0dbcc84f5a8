"""GraphQL object types of the core domain: partners, groups, users, sales reps, customers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from models.enums import ContactRole as ContactRoleEnum
from models.enums import CustomerStatus as CustomerStatusEnum
from models.enums import GroupKind as GroupKindEnum
from models.enums import PartnerStatus as PartnerStatusEnum
from models.enums import PartnerTier as PartnerTierEnum
from models.enums import Role as RoleEnum
from models.partners import PartnerGroup as PartnerGroupModel
from models.partners import PartnerOrg
from models.users import SalesRep as SalesRepModel
from models.users import User as UserModel
from resolvers.platform.context import loaders_of
from resolvers.platform.permissions import IsAuthenticated, IsVendorStaff
from schema.platform.common import Connection, PageWindow, fetch, to_connection
from schema.platform.ids import global_id
from schema.platform.node import Node
from services.partners.rules import GroupRuleField as GroupRuleFieldEnum
from services.partners.rules import GroupRuleOperator as GroupRuleOperatorEnum
from services.platform.nested_pages import page_of_list
from services.platform.pagination import Page
from services.platform.records import ModelRecord

if TYPE_CHECKING:
    from schema.customers.customer import Customer

Role = strawberry.enum(RoleEnum, name="Role")
PartnerStatus = strawberry.enum(PartnerStatusEnum, name="PartnerStatus")
PartnerTier = strawberry.enum(PartnerTierEnum, name="PartnerTier")
GroupKind = strawberry.enum(GroupKindEnum, name="GroupKind")
CustomerStatus = strawberry.enum(CustomerStatusEnum, name="CustomerStatus")
ContactRole = strawberry.enum(ContactRoleEnum, name="ContactRole")
GroupRuleField = strawberry.enum(
    GroupRuleFieldEnum, name="GroupRuleField", description="A partner field a group rule tests."
)
GroupRuleOperator = strawberry.enum(
    GroupRuleOperatorEnum, name="GroupRuleOperator", description="How a group rule tests it."
)

ItemT = TypeVar("ItemT")


async def _page_in_memory(items: list[ItemT], window: PageWindow) -> Page[ItemT]:
    """A page of a list the loaders computed whole (groups by rule, their members)."""
    return page_of_list(items, window)


@strawberry.type(description="A condition of a dynamic group: partner field, operator, values.")
class GroupCondition:
    field: GroupRuleField
    operator: GroupRuleOperator
    values: list[str]

    @classmethod
    def from_stored(cls, condition: dict[str, Any]) -> GroupCondition:
        return cls(
            field=GroupRuleField(condition["field"]),
            operator=GroupRuleOperator(condition["operator"]),
            values=list(condition["values"]),
        )


@strawberry.type(description="A group of partners that messages and lead distribution target.")
class PartnerGroup(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    name: str
    description: str
    kind: GroupKind
    rule: list[GroupCondition]
    created_at: datetime

    @classmethod
    def from_model(cls, group: PartnerGroupModel) -> PartnerGroup:
        return cls(
            id=global_id("PartnerGroup", group.id),
            pk=group.id,
            name=group.name,
            description=group.description,
            kind=group.kind,
            rule=[GroupCondition.from_stored(condition) for condition in group.rule],
            created_at=group.created_at,
        )

    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The partners in this group now (rule evaluated for dynamic groups).",
    )
    async def members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Partner]:
        members = await loaders_of(info).members_of_group.load(self.pk)
        page = await fetch(lambda: _page_in_memory(members, PageWindow(first, after, last, before)))
        return to_connection(page, Partner.from_model)


@strawberry.type(description="Where the partner's invoices go (its id is the partner's).")
class InvoicingDetails(Node):
    id: strawberry.ID
    company_name: str
    vat_number: str
    address: str
    email: str


@strawberry.type(description="A partner organisation: a reseller, consultant or MSP.")
class Partner(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    name: str
    status: PartnerStatus
    tier: PartnerTier
    country: str
    invoicing_details: strawberry.Private[InvoicingDetails]
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When it last changed (sync).")

    @classmethod
    def from_model(cls, partner: PartnerOrg | ModelRecord) -> Partner:
        return cls(
            id=global_id("Partner", partner.id),
            pk=partner.id,
            name=partner.name,
            status=partner.status,
            tier=partner.tier,
            country=partner.country,
            invoicing_details=InvoicingDetails(
                id=global_id("InvoicingDetails", partner.id),
                company_name=partner.invoice_company_name,
                vat_number=partner.invoice_vat_number,
                address=partner.invoice_address,
                email=partner.invoice_email,
            ),
            created_at=partner.created_at,
            updated_at=partner.updated_at,
        )

    # Groups are the vendor's segmentation of its partners: vendor staff see the groups of the
    # partners they look after, a partner's own users see their own org's groups (never another
    # partner's: the service gives no groups for a partner the viewer may not see).
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The groups this partner belongs to, static or by rule.",
    )
    async def groups(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PartnerGroup]:
        groups = await loaders_of(info).groups_of_partner.load(self.pk)
        page = await fetch(lambda: _page_in_memory(groups, PageWindow(first, after, last, before)))
        return to_connection(page, PartnerGroup.from_model)

    # The organisation's own data (like every field outside one customer's domain) is refused to
    # a switch-account (act-as) token by the IsAuthenticated permission.
    @strawberry.field(permission_classes=[IsAuthenticated], description="Where invoices go.")
    def invoicing(self) -> InvoicingDetails:
        return self.invoicing_details

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="The partner's portal users."
    )
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: loaders_of(info).users_of_partner.load(self.pk, window))
        return to_connection(page, User.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="External sales reps: they receive lead notifications only.",
    )
    async def sales_reps(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SalesRep]:
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: loaders_of(info).sales_reps_of_partner.load(self.pk, window))
        return to_connection(page, SalesRep.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The customer accounts this partner brought.",
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Customer, strawberry.lazy("schema.customers.customer")]]:
        from schema.customers.customer import Customer  # here: it imports this module

        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: loaders_of(info).customers_of_partner.load(self.pk, window))
        return to_connection(page, Customer.from_model)


@strawberry.type(description="A portal user.")
class User(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    email: str
    full_name: str
    role: Role
    locale: str
    is_active: bool
    is_sales_rep: bool
    is_default_lead_recipient: bool
    is_supplier_default_lead_owner: bool
    supplier_emails_opt_in: bool
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When it last changed (sync).")
    partner_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, user: UserModel | ModelRecord) -> User:
        return cls(
            id=global_id("User", user.id),
            pk=user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            locale=user.locale,
            is_active=user.is_active,
            is_sales_rep=user.is_sales_rep,
            is_default_lead_recipient=user.is_default_lead_recipient,
            is_supplier_default_lead_owner=user.is_supplier_default_lead_owner,
            supplier_emails_opt_in=user.supplier_emails_opt_in,
            created_at=user.created_at,
            updated_at=user.updated_at,
            partner_id=user.partner_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The user's partner organisation (none for vendor staff).",
    )
    async def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner = await loaders_of(info).partner.load(self.partner_id)
        return Partner.from_model(partner) if partner else None


@strawberry.type(description="An external sales rep of a partner org (not a portal login).")
class SalesRep(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    full_name: str
    email: str
    is_default_lead_recipient: bool
    created_at: datetime

    @classmethod
    def from_model(cls, rep: SalesRepModel) -> SalesRep:
        return cls(
            id=global_id("SalesRep", rep.id),
            pk=rep.id,
            full_name=rep.full_name,
            email=rep.email,
            is_default_lead_recipient=rep.is_default_lead_recipient,
            created_at=rep.created_at,
        )
