"""The GraphQL types of the customers domain around `Customer` (schema/customers/customer.py):
the overview connection and its tab counts, switching into an account and its log, and the
inputs and results of the domain's mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.accounts import SwitchAccountAudit as SwitchAccountAuditModel
from models.accounts import SwitchOutcome as SwitchOutcomeEnum
from resolvers.customers import resolvers as resolve
from resolvers.platform.context import loaders_of
from schema.customers.customer import Customer
from schema.customers.records import (
    ActivityKind,
    AttentionItem,
    AttentionKind,
    CustomerAccountUser,
    CustomerActivity,
    CustomerContact,
)
from schema.partners.types import ContactRole, User
from schema.platform.common import Connection, Done, OperationErrors, fetch
from schema.platform.ids import global_id
from schema.platform.node import Node
from services.customers.overview import CustomerSort as CustomerSortEnum
from services.customers.overview import OverviewFilter

__all__ = [
    "ActivityKind",
    "AttentionItem",
    "AttentionKind",
    "ContactInput",
    "Customer",
    "CustomerAccountUser",
    "CustomerActivity",
    "CustomerContact",
    "CustomerOverviewConnection",
    "CustomerSort",
    "CustomerStatusCounts",
    "CustomerUpdateInput",
    "SwitchAccountAuditEntry",
    "SwitchAccountGrant",
    "SwitchOutcome",
]

CustomerSort = strawberry.enum(CustomerSortEnum, name="CustomerSort")
SwitchOutcome = strawberry.enum(SwitchOutcomeEnum, name="SwitchOutcome")


@strawberry.type(description="Counts for the overview's filter tabs.")
class CustomerStatusCounts:
    all: int
    trial: int
    active: int
    closed: int
    needs_attention: int


@strawberry.type(description="A page of the customer overview.")
class CustomerOverviewConnection(Connection[Customer]):
    filter: strawberry.Private[OverviewFilter]

    @strawberry.field(
        description="Customers matching the search (and partner) per status, and how many "
        "need attention: the status and needsAttention filters do not apply to these counts."
    )
    async def counts(self, info: Info) -> CustomerStatusCounts:
        counts = await fetch(lambda: resolve.overview_counts(info, self.filter))
        return CustomerStatusCounts(
            all=counts.all,
            trial=counts.trial,
            active=counts.active,
            closed=counts.closed,
            needs_attention=counts.needs_attention,
        )


@strawberry.type(description="A short-lived token that acts in one customer account.")
class SwitchAccountGrant:
    token: str
    expires_at: datetime
    customer: Customer


@strawberry.type(description="An attempt to switch into a customer account.")
class SwitchAccountAuditEntry(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    user_email: str = strawberry.field(description="The address of who tried, as it was then.")
    user_id: strawberry.Private[int | None]
    customer_id: strawberry.Private[int]
    outcome: SwitchOutcome
    reason: str
    client_address: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: SwitchAccountAuditModel) -> SwitchAccountAuditEntry:
        return cls(
            id=global_id("SwitchAccountAuditEntry", row.id),
            pk=row.id,
            user_email=row.user_email,
            user_id=row.user_id,  # type: ignore[attr-defined]
            customer_id=row.customer_id,
            outcome=row.outcome,
            reason=row.reason,
            client_address=row.client_address,
            created_at=row.created_at,
        )

    @strawberry.field(
        description="The customer account tried; null if you may not see it (a refused "
        "attempt into another partner's customer) or it was deleted."
    )
    async def customer(self, info: Info) -> Customer | None:
        found = await loaders_of(info).visible_customer.load(self.customer_id)
        return Customer.from_model(found) if found else None

    @strawberry.field(description="The portal user who tried; null once deleted.")
    async def actor(self, info: Info) -> User | None:
        if self.user_id is None:
            return None
        found = await loaders_of(info).switch_actor.load(self.user_id)
        return User.from_model(found) if found else None


SwitchAccountResult = Annotated[
    SwitchAccountGrant | OperationErrors, strawberry.union("SwitchAccountResult")
]
CustomerAccountUserResult = Annotated[
    CustomerAccountUser | OperationErrors, strawberry.union("CustomerAccountUserResult")
]
CustomerActivityResult = Annotated[
    CustomerActivity | OperationErrors, strawberry.union("CustomerActivityResult")
]
DoneResult = Annotated[Done | OperationErrors, strawberry.union("DoneResult")]


CustomerResult = Annotated[Customer | OperationErrors, strawberry.union("CustomerResult")]


@strawberry.input(description="A contact of a customer: one per role.")
class ContactInput:
    role: ContactRole
    email: str
    full_name: str = ""


@strawberry.input(description="Changes to a customer account; what is left out stays as it is.")
class CustomerUpdateInput:
    main_framework: str | None = None
    framework_progress: int | None = strawberry.field(
        default=None, description="Progress of the main framework, 0 to 100 (%)."
    )
    contacts: list[ContactInput] | None = strawberry.field(
        default=None,
        description="Contacts to set: each replaces the customer's contact of its role.",
    )
    remove_contacts: list[ContactRole] | None = strawberry.field(
        default=None, description="Roles whose contact is removed."
    )
