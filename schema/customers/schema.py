"""Customer accounts: basic queries and creation."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.customers import resolvers as resolve
from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from schema.partners.types import ContactRole, Customer, CustomerStatus
from schema.platform.common import (
    Connection,
    OperationErrors,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from services.customers.service import NewContact

CustomerResult = Annotated[Customer | OperationErrors, strawberry.union("CustomerResult")]


@strawberry.input
class ContactInput:
    role: ContactRole
    email: str
    full_name: str = ""


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs], description="Customers you may see."
    )
    async def customers(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        status: CustomerStatus | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Customer]:
        page = await fetch(
            lambda: resolve.list_customers(
                info,
                None if partner_id is None else parse_id(partner_id, "Partner"),
                status,
                search,
                first,
                after,
            )
        )
        return to_connection(page, Customer.from_model)

    @strawberry.field(permission_classes=[IsAuthenticatedOrActingAs])
    async def customer(self, info: Info, id: strawberry.ID) -> Customer:
        return Customer.from_model(
            await fetch(lambda: resolve.get_customer(info, parse_id(id, "Customer")))
        )


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Open a customer account; it starts a trial. Partners open them for "
        "their own org, vendor admins name the partner.",
    )
    async def create_customer(
        self,
        info: Info,
        name: str,
        contacts: list[ContactInput] | None = None,
        partner_id: strawberry.ID | None = None,
    ) -> CustomerResult:
        async def run() -> Customer:
            customer = await resolve.create_customer(
                info,
                None if partner_id is None else parse_id(partner_id, "Partner", "partnerId"),
                name,
                [NewContact(c.role, c.email, c.full_name) for c in contacts or []],
            )
            return Customer.from_model(customer)

        return await mutate(run)
