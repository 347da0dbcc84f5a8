"""The GraphQL types of the customers domain: the customer overview and its rows, activity,
attention items, the customer's own users, switching into an account, and the results of their
mutations. (`Customer` itself is in schema/partners/types.py, which nests customers in partners.)
"""

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
from resolvers.customers import resolvers as resolve
from schema.partners.types import ContactRole, Customer, CustomerStatus
from schema.platform.common import Connection, Done, OperationErrors, fetch
from schema.platform.ids import global_id
from schema.platform.node import Node
from services.customers.overview import CustomerSort as CustomerSortEnum
from services.customers.overview import OverviewFilter, OverviewRow

CustomerSort = strawberry.enum(CustomerSortEnum, name="CustomerSort")
AttentionKind = strawberry.enum(AttentionKindEnum, name="AttentionKind")
ActivityKind = strawberry.enum(ActivityKindEnum, name="ActivityKind")
SwitchOutcome = strawberry.enum(SwitchOutcomeEnum, name="SwitchOutcome")


@strawberry.type(description="Something in a customer account that needs attention.")
class AttentionItem(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    kind: AttentionKind
    message: str
    opened_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_model(cls, item: AttentionItemModel) -> AttentionItem:
        return cls(
            id=global_id("AttentionItem", item.id),
            pk=item.id,
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
            id=global_id("Customer", c.id),
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


@strawberry.type(description="Counts for the overview's filter tabs.")
class CustomerStatusCounts:
    all: int
    trial: int
    active: int
    closed: int
    needs_attention: int


@strawberry.type(description="A page of the customer overview.")
class CustomerOverviewConnection(Connection[CustomerOverviewRow]):
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


@strawberry.type(description="An entry of a customer's activity log.")
class CustomerActivity(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    kind: ActivityKind
    summary: str
    occurred_at: datetime

    @classmethod
    def from_model(cls, activity: CustomerActivityModel) -> CustomerActivity:
        return cls(
            id=global_id("CustomerActivity", activity.id),
            pk=activity.id,
            kind=activity.kind,
            summary=activity.summary,
            occurred_at=activity.occurred_at,
        )


@strawberry.type(description="A user of the customer's account in the vendor's product.")
class CustomerAccountUser(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    email: str
    full_name: str
    created_at: datetime

    @classmethod
    def from_model(cls, user: CustomerUserModel) -> CustomerAccountUser:
        return cls(
            id=global_id("CustomerAccountUser", user.id),
            pk=user.id,
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
class SwitchAccountAuditEntry(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    user_email: str
    customer_id: strawberry.ID
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
            customer_id=global_id("Customer", row.customer_id),
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


CustomerResult = Annotated[Customer | OperationErrors, strawberry.union("CustomerResult")]


@strawberry.input
class ContactInput:
    role: ContactRole
    email: str
    full_name: str = ""
