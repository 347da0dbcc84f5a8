"""GraphQL object types of the core domain: partners, groups, users, sales reps, customers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

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
from schema.platform.ids import global_id
from schema.platform.node import Node

if TYPE_CHECKING:
    from schema.customers.customer import Customer

Role = strawberry.enum(RoleEnum, name="Role")
PartnerStatus = strawberry.enum(PartnerStatusEnum, name="PartnerStatus")
PartnerTier = strawberry.enum(PartnerTierEnum, name="PartnerTier")
GroupKind = strawberry.enum(GroupKindEnum, name="GroupKind")
CustomerStatus = strawberry.enum(CustomerStatusEnum, name="CustomerStatus")
ContactRole = strawberry.enum(ContactRoleEnum, name="ContactRole")


@strawberry.type(description="A condition of a dynamic group: partner field, operator, values.")
class GroupCondition:
    field: str
    operator: str
    values: list[str]


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
            rule=[GroupCondition(**condition) for condition in group.rule],
            created_at=group.created_at,
        )

    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The partners in this group now (rule evaluated for dynamic groups).",
    )
    async def members(self, info: Info) -> list[Partner]:
        members = await loaders_of(info).members_of_group.load(self.pk)
        return [Partner.from_model(p) for p in members]


@strawberry.type(description="Where the partner's invoices go.")
class InvoicingDetails:
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

    @classmethod
    def from_model(cls, partner: PartnerOrg) -> Partner:
        return cls(
            id=global_id("Partner", partner.id),
            pk=partner.id,
            name=partner.name,
            status=partner.status,
            tier=partner.tier,
            country=partner.country,
            invoicing_details=InvoicingDetails(
                company_name=partner.invoice_company_name,
                vat_number=partner.invoice_vat_number,
                address=partner.invoice_address,
                email=partner.invoice_email,
            ),
            created_at=partner.created_at,
        )

    # Groups are the vendor's segmentation of its partners: partners do not see them.
    @strawberry.field(
        permission_classes=[IsVendorStaff],
        description="The groups this partner belongs to, static or by rule.",
    )
    async def groups(self, info: Info) -> list[PartnerGroup]:
        groups = await loaders_of(info).groups_of_partner.load(self.pk)
        return [PartnerGroup.from_model(g) for g in groups]

    # The organisation's own data (like every field outside one customer's domain) is refused to
    # a switch-account (act-as) token by the IsAuthenticated permission.
    @strawberry.field(permission_classes=[IsAuthenticated], description="Where invoices go.")
    def invoicing(self) -> InvoicingDetails:
        return self.invoicing_details

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="The partner's portal users."
    )
    async def users(self, info: Info) -> list[User]:
        users = await loaders_of(info).users_of_partner.load(self.pk)
        return [User.from_model(u) for u in users]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="External sales reps: they receive lead notifications only.",
    )
    async def sales_reps(self, info: Info) -> list[SalesRep]:
        reps = await loaders_of(info).sales_reps_of_partner.load(self.pk)
        return [SalesRep.from_model(r) for r in reps]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The customer accounts this partner brought.",
    )
    async def customers(
        self, info: Info
    ) -> list[Annotated[Customer, strawberry.lazy("schema.customers.customer")]]:
        from schema.customers.customer import Customer  # here: it imports this module

        customers = await loaders_of(info).customers_of_partner.load(self.pk)
        return [Customer.from_model(c) for c in customers]


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
    partner_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, user: UserModel) -> User:
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
