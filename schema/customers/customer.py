"""The one `Customer` type: a customer account with its overview columns (framework progress,
user count, 90-day activity count, attention items, trial days, renewal date and the renewal
owner in force), so that the overview and a customer page read the same cached object.

The figures come from DataLoaders: a list of customers costs a fixed number of statements
whatever its length (the overview primes the figures it computed already). The paginated
`attentionItems` (beyond the first page of open items), `accountUsers` and `activities` cost a
statement per customer: ask them of one customer (a customer page), not of a list.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from models.customers import Customer as CustomerModel
from resolvers.customers import resolvers as resolve
from resolvers.platform.context import loaders_of
from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs
from schema.customers.records import (
    AttentionItem,
    CustomerAccountUser,
    CustomerActivity,
    CustomerContact,
)
from schema.partners.types import CustomerStatus, Partner, User
from schema.platform.common import Connection, PageWindow, fetch, global_id, to_connection
from schema.platform.node import Node
from schema.renewals.enums import RenewalOwner, RenewalOwnerSource
from services.customers.common import days_left_of_trial

if TYPE_CHECKING:
    from schema.deals.types import CustomerSubscription


@strawberry.type(description="A customer account that a partner brought, with its overview.")
class Customer(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    model: strawberry.Private[CustomerModel]
    name: str
    status: CustomerStatus
    main_framework: str
    framework_progress: int = strawberry.field(description="Progress of the main framework, %.")
    trial_ends_at: datetime | None
    subscription_started_at: datetime | None
    next_renewal_at: datetime | None
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When it last changed (sync).")
    partner_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, customer: CustomerModel) -> Customer:
        return cls(
            id=global_id("Customer", customer.id),
            pk=customer.id,
            model=customer,
            name=customer.name,
            status=customer.status,
            main_framework=customer.main_framework,
            framework_progress=customer.framework_progress,
            trial_ends_at=customer.trial_ends_at,
            subscription_started_at=customer.subscription_started_at,
            next_renewal_at=customer.next_renewal_at,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            partner_id=customer.partner_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(
        description="Whole days until the trial ends (rounded up), only while in trial."
    )
    def days_left_in_trial(self) -> int | None:
        return days_left_of_trial(self.status, self.trial_ends_at, datetime.now(UTC))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def partner(self, info: Info) -> Partner | None:
        partner = await loaders_of(info).partner.load(self.partner_id)
        return Partner.from_model(partner) if partner else None

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The primary, billing and decision-maker contacts (at most one each).",
    )
    async def contacts(self, info: Info) -> list[CustomerContact]:
        contacts = await loaders_of(info).contacts_of_customer.load(self.pk)
        return [CustomerContact.from_model(c) for c in contacts]

    @strawberry.field(description="Users of the customer's account.")
    async def user_count(self, info: Info) -> int:
        return (await loaders_of(info).customer_figures.load(self.pk)).user_count

    @strawberry.field(
        name="activitiesLast90Days", description="Activity log entries in the last 90 days."
    )
    async def activities_last_90_days(self, info: Info) -> int:
        return (await loaders_of(info).customer_figures.load(self.pk)).activity_count

    @strawberry.field(description="Open attention items.")
    async def attention_count(self, info: Info) -> int:
        return (await loaders_of(info).customer_figures.load(self.pk)).attention_count

    @strawberry.field(description="Whether any attention item is open.")
    async def needs_attention(self, info: Info) -> bool:
        return (await loaders_of(info).customer_figures.load(self.pk)).attention_count > 0

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The attention items, oldest first: the open ones, or all with "
        "includeResolved. The first page of open items is loaded with the figures.",
    )
    async def attention_items(
        self,
        info: Info,
        include_resolved: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AttentionItem]:
        window = PageWindow(first, after, last, before)
        figures = None
        if not include_resolved:
            figures = await loaders_of(info).customer_figures.load(self.pk)
        page = await fetch(
            lambda: resolve.attention_page(
                self.pk, window, include_resolved, figures.attention_items if figures else None
            )
        )
        return to_connection(page, AttentionItem.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The users of the customer's account (a statement per customer).",
    )
    async def account_users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerAccountUser]:
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: resolve.account_users_page(self.pk, window))
        return to_connection(page, CustomerAccountUser.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The customer's activity log (a statement per customer).",
    )
    async def activities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerActivity]:
        window = PageWindow(first, after, last, before)
        page = await fetch(lambda: resolve.activities_page(self.pk, window))
        return to_connection(page, CustomerActivity.from_model)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Who owns the renewal communication now (the customer's choice, else "
        "the partner's default).",
    )
    async def renewal_owner(self, info: Info) -> RenewalOwner:
        return (await loaders_of(info).renewal_plan.load(self.model)).owner

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="Whether the renewal owner in force is the customer's own choice.",
    )
    async def renewal_owner_source(self, info: Info) -> RenewalOwnerSource:
        return (await loaders_of(info).renewal_plan.load(self.model)).source

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The partner user in charge of the renewal (or copied), if any.",
    )
    async def renewal_contact(self, info: Info) -> User | None:
        contact = (await loaders_of(info).renewal_plan.load(self.model)).contact
        return User.from_model(contact) if contact else None

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The paid subscription, once the trial converted.",
    )
    async def subscription(
        self, info: Info
    ) -> Annotated[CustomerSubscription, strawberry.lazy("schema.deals.types")] | None:
        from schema.deals.types import CustomerSubscription  # here: deals types import Customer

        found = await loaders_of(info).subscription_of_customer.load(self.pk)
        return CustomerSubscription.from_model(found) if found else None
