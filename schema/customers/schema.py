"""The customers domain's queries and mutations: customer accounts, the partner's customer
overview, activity, attention items, the customer's own users and switching into an account.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.customers import resolvers as resolve
from resolvers.platform.context import loaders_of
from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from schema.customers.customer import Customer
from schema.customers.types import (
    AttentionItem,
    ContactInput,
    CustomerAccountUser,
    CustomerAccountUserResult,
    CustomerActivity,
    CustomerActivityResult,
    CustomerContact,
    CustomerOverviewConnection,
    CustomerResult,
    CustomerSort,
    CustomerUpdateInput,
    DoneResult,
    SwitchAccountAuditEntry,
    SwitchAccountGrant,
    SwitchAccountResult,
)
from schema.partners.types import CustomerStatus
from schema.platform.common import (
    Connection,
    Done,
    PageWindow,
    UpdatedSince,
    connection_of,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import register_node
from services.customers.overview import CustomerSort as CustomerSortEnum
from services.customers.overview import OverviewFilter
from services.customers.profile import CustomerChanges
from services.customers.service import NewContact


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
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
    ) -> Connection[Customer]:
        page = await fetch(
            lambda: resolve.list_customers(
                info,
                parse_optional_id(partner_id, "Partner", "partnerId"),
                status,
                search,
                PageWindow(first, after, last, before, updated_since),
            )
        )
        return to_connection(page, Customer.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="A customer with its overview columns; null and an error if you may not "
        "see it.",
    )
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
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
                parse_optional_id(partner_id, "Partner", "partnerId"),
                name,
                [NewContact(c.role, c.email, c.full_name) for c in contacts or []],
            )
            return Customer.from_model(customer)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Edit a customer's contacts (primary, billing, decision maker), main "
        "framework and framework progress: the partner for its own customers, vendor admins "
        "for any. Attention items follow at once.",
    )
    async def update_customer(
        self, info: Info, id: strawberry.ID, input: CustomerUpdateInput
    ) -> CustomerResult:
        async def run() -> Customer:
            changes = CustomerChanges(
                main_framework=input.main_framework,
                framework_progress=input.framework_progress,
                contacts=[NewContact(c.role, c.email, c.full_name) for c in input.contacts or []],
                remove_contacts=list(input.remove_contacts or []),
            )
            customer = await resolve.update_customer(info, parse_id(id, "Customer"), changes)
            return Customer.from_model(customer)

        return await mutate(run)


@strawberry.type
class AccountQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The partner's customer overview: filter by status and needsAttention, "
        "search by name, sort, paginate with first/after. Vendor staff may name a partner.",
    )
    async def customer_overview(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        status: CustomerStatus | None = None,
        needs_attention: bool | None = None,
        search: str | None = None,
        sort: CustomerSort = CustomerSortEnum.NAME_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CustomerOverviewConnection:
        async def run() -> CustomerOverviewConnection:
            flt = OverviewFilter(
                partner_id=parse_optional_id(partner_id, "Partner", "partnerId"),
                status=status,
                needs_attention=needs_attention,
                search=search,
            )
            page = await resolve.customer_overview(
                info, flt, sort, PageWindow(first, after, last, before)
            )
            # The figures are computed with the page: prime them so that the rows' columns cost
            # no further statement.
            loaders_of(info).customer_figures.prime_many(
                {r.customer.id: r.figures for r in page.rows}
            )
            rows = connection_of(page.page, [Customer.from_model(r.customer) for r in page.rows])
            return CustomerOverviewConnection(
                edges=rows.edges, page_info=rows.page_info, count=rows.count, filter=flt
            )

        return await fetch(run)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs], description="A customer's activity log."
    )
    async def customer_activities(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerActivity]:
        page = await fetch(
            lambda: resolve.list_activities(
                info,
                parse_id(customer_id, "Customer", "customerId"),
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(page, CustomerActivity.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="A customer's open attention items (and the resolved ones if asked).",
    )
    async def customer_attention_items(
        self,
        info: Info,
        customer_id: strawberry.ID,
        include_resolved: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AttentionItem]:
        page = await fetch(
            lambda: resolve.attention_items(
                info,
                parse_id(customer_id, "Customer", "customerId"),
                PageWindow(first, after, last, before),
                include_resolved,
            )
        )
        return to_connection(page, AttentionItem.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The users of a customer's account.",
    )
    async def customer_account_users(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerAccountUser]:
        page = await fetch(
            lambda: resolve.account_users(
                info,
                parse_id(customer_id, "Customer", "customerId"),
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(page, CustomerAccountUser.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The customer this token acts in (a switchAccount token), else null.",
    )
    async def acting_customer(self, info: Info) -> Customer | None:
        customer = await fetch(lambda: resolve.acting_customer(info))
        return Customer.from_model(customer) if customer else None

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Switch-account attempts, granted and refused (admins only).",
    )
    async def switch_account_log(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SwitchAccountAuditEntry]:
        page = await fetch(
            lambda: resolve.switch_audit_log(
                info,
                parse_optional_id(customer_id, "Customer", "customerId"),
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(page, SwitchAccountAuditEntry.from_model)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Switch into a customer account you manage: returns a short-lived token "
        "scoped to that customer. Every attempt is audited.",
    )
    async def switch_account(self, info: Info, customer_id: strawberry.ID) -> SwitchAccountResult:
        async def run() -> SwitchAccountGrant:
            grant = await resolve.switch_account(
                info, parse_id(customer_id, "Customer", "customerId")
            )
            return SwitchAccountGrant(
                token=grant.token,
                expires_at=grant.expires_at,
                customer=Customer.from_model(grant.customer),
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Add a user to a customer's account.",
    )
    async def add_customer_account_user(
        self, info: Info, customer_id: strawberry.ID, email: str, full_name: str = ""
    ) -> CustomerAccountUserResult:
        async def run() -> CustomerAccountUser:
            user = await resolve.add_account_user(
                info, parse_id(customer_id, "Customer", "customerId"), email, full_name
            )
            return CustomerAccountUser.from_model(user)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Remove a user from a customer's account.",
    )
    async def remove_customer_account_user(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.remove_account_user(info, parse_id(id, "CustomerAccountUser"))
            return Done()

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The vendor's product reports what a customer did (vendor admins).",
    )
    async def report_customer_activity(
        self,
        info: Info,
        customer_id: strawberry.ID,
        summary: str,
        occurred_at: datetime | None = None,
    ) -> CustomerActivityResult:
        async def run() -> CustomerActivity:
            activity = await resolve.report_activity(
                info, parse_id(customer_id, "Customer", "customerId"), summary, occurred_at
            )
            return CustomerActivity.from_model(activity)

        return await mutate(run)


async def _load_customer(info: Info, pk: int) -> Customer:
    return Customer.from_model(await resolve.get_customer(info, pk))


register_node("Customer", _load_customer, IsAuthenticatedOrActingAs)


async def _load_switch_entry(info: Info, pk: int) -> SwitchAccountAuditEntry:
    return SwitchAccountAuditEntry.from_model(await resolve.switch_audit_entry(info, pk))


register_node("SwitchAccountAuditEntry", _load_switch_entry, IsAuthenticated)
for _type, _label in (
    (CustomerContact, "Customer contact"),
    (AttentionItem, "Attention item"),
    (CustomerActivity, "Customer activity"),
    (CustomerAccountUser, "Customer account user"),
):

    async def _load_record(info: Info, pk: int, _type=_type, _label=_label) -> object:
        return _type.from_model(await resolve.customer_record(info, _label, pk))

    register_node(_type.__name__, _load_record, IsAuthenticatedOrActingAs)
