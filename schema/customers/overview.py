"""The partner's customer overview, customer activity, attention items, the customer's own users
and switching into a customer account: types, queries and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.accounts import ActivityKind as ActivityKindEnum
from models.accounts import AttentionItem as AttentionItemModel
from models.accounts import AttentionKind as AttentionKindEnum
from models.accounts import CustomerActivity as CustomerActivityModel
from models.accounts import CustomerUser as CustomerUserModel
from models.accounts import SwitchAccountAudit as SwitchAccountAuditModel
from models.accounts import SwitchOutcome as SwitchOutcomeEnum
from resolvers.customers import overview as resolve
from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from schema.partners.types import Customer, CustomerStatus
from schema.platform.common import (
    Connection,
    Done,
    OperationErrors,
    PageInfo,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from services.customers.overview import CustomerSort as CustomerSortEnum
from services.customers.overview import OverviewFilter, OverviewRow

CustomerSort = strawberry.enum(CustomerSortEnum, name="CustomerSort")
AttentionKind = strawberry.enum(AttentionKindEnum, name="AttentionKind")
ActivityKind = strawberry.enum(ActivityKindEnum, name="ActivityKind")
SwitchOutcome = strawberry.enum(SwitchOutcomeEnum, name="SwitchOutcome")


@strawberry.type(description="Something in a customer account that needs attention.")
class AttentionItem:
    id: strawberry.ID
    kind: AttentionKind
    message: str
    opened_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_model(cls, item: AttentionItemModel) -> AttentionItem:
        return cls(
            id=strawberry.ID(str(item.id)),
            kind=item.kind,
            message=item.message,
            opened_at=item.opened_at,
            resolved_at=item.resolved_at,
        )


@strawberry.type(description="One row of the partner's customer overview.")
class CustomerOverviewRow:
    id: strawberry.ID
    name: str
    status: CustomerStatus
    main_framework: str
    framework_progress: int = strawberry.field(description="Progress of the main framework, %.")
    user_count: int = strawberry.field(description="Users of the customer's account.")
    activities_last_90_days: int = strawberry.field(
        name="activitiesLast90Days", description="Activity log entries in the last 90 days."
    )
    attention_count: int = strawberry.field(description="Open attention items.")
    needs_attention: bool
    attention_items: list[AttentionItem]
    days_left_in_trial: int | None = strawberry.field(
        description="Whole days until the trial ends (rounded up), only while in trial."
    )
    trial_ends_at: datetime | None
    subscription_started_at: datetime | None
    next_renewal_at: datetime | None
    customer: Customer

    @classmethod
    def from_row(cls, row: OverviewRow) -> CustomerOverviewRow:
        c = row.customer
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            status=c.status,
            main_framework=c.main_framework,
            framework_progress=c.framework_progress,
            user_count=row.user_count,
            activities_last_90_days=row.activity_count,
            attention_count=row.attention_count,
            needs_attention=row.attention_count > 0,
            attention_items=[AttentionItem.from_model(i) for i in row.attention_items],
            days_left_in_trial=row.days_left_in_trial,
            trial_ends_at=c.trial_ends_at,
            subscription_started_at=c.subscription_started_at,
            next_renewal_at=c.next_renewal_at,
            customer=Customer.from_model(c),
        )


@strawberry.type
class CustomerOverviewEdge:
    cursor: str
    node: CustomerOverviewRow


@strawberry.type(description="Counts for the overview's filter tabs.")
class CustomerStatusCounts:
    all: int
    trial: int
    active: int
    closed: int
    needs_attention: int


@strawberry.type(description="A page of the customer overview.")
class CustomerOverviewConnection:
    edges: list[CustomerOverviewEdge]
    page_info: PageInfo
    filter: strawberry.Private[OverviewFilter]

    @strawberry.field
    def nodes(self) -> list[CustomerOverviewRow]:
        return [edge.node for edge in self.edges]

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


@strawberry.type(description="An entry of a customer's activity log.")
class CustomerActivity:
    id: strawberry.ID
    kind: ActivityKind
    summary: str
    occurred_at: datetime

    @classmethod
    def from_model(cls, activity: CustomerActivityModel) -> CustomerActivity:
        return cls(
            id=strawberry.ID(str(activity.id)),
            kind=activity.kind,
            summary=activity.summary,
            occurred_at=activity.occurred_at,
        )


@strawberry.type(description="A user of the customer's account in the vendor's product.")
class CustomerAccountUser:
    id: strawberry.ID
    email: str
    full_name: str
    created_at: datetime

    @classmethod
    def from_model(cls, user: CustomerUserModel) -> CustomerAccountUser:
        return cls(
            id=strawberry.ID(str(user.id)),
            email=user.email,
            full_name=user.full_name,
            created_at=user.created_at,
        )


@strawberry.type(description="A short-lived token that acts in one customer account.")
class SwitchAccountGrant:
    token: str
    expires_at: datetime
    customer: Customer


@strawberry.type(description="An attempt to switch into a customer account.")
class SwitchAccountAuditEntry:
    id: strawberry.ID
    user_email: str
    customer_id: strawberry.ID
    outcome: SwitchOutcome
    reason: str
    client_address: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: SwitchAccountAuditModel) -> SwitchAccountAuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            user_email=row.user_email,
            customer_id=strawberry.ID(str(row.customer_id)),
            outcome=row.outcome,
            reason=row.reason,
            client_address=row.client_address,
            created_at=row.created_at,
        )


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


def _optional_id(value: strawberry.ID | None, kind: str) -> int | None:
    return None if value is None else parse_id(value, kind)


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
    ) -> CustomerOverviewConnection:
        async def run() -> CustomerOverviewConnection:
            flt = OverviewFilter(
                partner_id=_optional_id(partner_id, "Partner"),
                status=status,
                needs_attention=needs_attention,
                search=search,
            )
            page = await resolve.customer_overview(info, flt, sort, first, after)
            return CustomerOverviewConnection(
                edges=[
                    CustomerOverviewEdge(cursor=cursor, node=CustomerOverviewRow.from_row(row))
                    for cursor, row in zip(page.cursors, page.rows, strict=True)
                ],
                page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
                filter=flt,
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
    ) -> Connection[CustomerActivity]:
        page = await fetch(
            lambda: resolve.list_activities(info, parse_id(customer_id, "Customer"), first, after)
        )
        return to_connection(page, CustomerActivity.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="A customer's open attention items (and the resolved ones if asked).",
    )
    async def customer_attention_items(
        self, info: Info, customer_id: strawberry.ID, include_resolved: bool = False
    ) -> list[AttentionItem]:
        items = await fetch(
            lambda: resolve.attention_items(
                info, parse_id(customer_id, "Customer"), include_resolved
            )
        )
        return [AttentionItem.from_model(i) for i in items]

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The users of a customer's account.",
    )
    async def customer_account_users(
        self, info: Info, customer_id: strawberry.ID
    ) -> list[CustomerAccountUser]:
        users = await fetch(lambda: resolve.account_users(info, parse_id(customer_id, "Customer")))
        return [CustomerAccountUser.from_model(u) for u in users]

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
    ) -> Connection[SwitchAccountAuditEntry]:
        page = await fetch(
            lambda: resolve.switch_audit_log(
                info, _optional_id(customer_id, "Customer"), first, after
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
            grant = await resolve.switch_account(info, parse_id(customer_id, "Customer"))
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
                info, parse_id(customer_id, "Customer"), email, full_name
            )
            return CustomerAccountUser.from_model(user)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Remove a user from a customer's account.",
    )
    async def remove_customer_account_user(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.remove_account_user(info, parse_id(id, "Customer user"))
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
                info, parse_id(customer_id, "Customer"), summary, occurred_at
            )
            return CustomerActivity.from_model(activity)

        return await mutate(run)
