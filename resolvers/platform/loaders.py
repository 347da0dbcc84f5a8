"""DataLoaders: nested lists load in one query per level, whatever the page size (no N+1).

Nested connections (a partner's users, sales reps, customers) use PagedLoader
(resolvers/platform/paged_loaders.py): one query for the pages of all parents, one for counts.
"""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from models.accounts import Subscription
from models.customers import Customer, CustomerContact
from models.deal_registrations import DealRegistration, DealRegistrationEvent
from models.deals import Commission, Deal, DealNote
from models.partners import PartnerGroup, PartnerOrg
from models.users import SalesRep, User
from models.webhooks import WebhookEndpoint, WebhookEvent
from resolvers.platform.paged_loaders import PagedLoader
from services.customers import access as customer_access
from services.customers import overview, switching
from services.customers import service as customers
from services.customers.overview import CustomerFigures
from services.deals import conversion, registration_queries
from services.deals import service as deals
from services.partners import groups as partner_groups
from services.partners import service as partners
from services.platform.records import ModelRecord
from services.platform.viewer import Viewer
from services.renewals import service as renewals
from services.renewals.service import RenewalPlan
from services.users import sales_reps
from services.users import service as users
from services.webhooks import endpoints as webhook_endpoints


class Loaders:
    """One set of loaders per operation, bound to the viewer so that they never leak rows.
    Each is made when first used: most operations use none or a few (a subscription, none)."""

    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer

    @cached_property
    def groups_of_partner(self) -> DataLoader[int, list[PartnerGroup]]:
        return DataLoader[int, list[PartnerGroup]](self._groups_of_partners)

    # Records of the users (services/platform/records.py), read attribute by attribute.
    @cached_property
    def users_of_partner(self) -> PagedLoader[ModelRecord]:
        return PagedLoader[ModelRecord](
            self._require_viewer, users.users_of_partners, users.user_counts_of_partners
        )

    @cached_property
    def members_of_group(self) -> DataLoader[int, list[PartnerOrg]]:
        return DataLoader[int, list[PartnerOrg]](self._members_of_groups)

    @cached_property
    def partner(self) -> DataLoader[int, PartnerOrg | None]:
        return DataLoader[int, PartnerOrg | None](self._partners)

    @cached_property
    def contacts_of_customer(self) -> DataLoader[int, list[CustomerContact]]:
        return DataLoader[int, list[CustomerContact]](self._contacts)

    @cached_property
    def customers_of_partner(self) -> PagedLoader[Customer]:
        return PagedLoader[Customer](
            self._require_viewer,
            customers.customers_of_partners,
            customers.customer_counts_of_partners,
        )

    @cached_property
    def sales_reps_of_partner(self) -> PagedLoader[SalesRep]:
        return PagedLoader[SalesRep](
            self._require_viewer,
            sales_reps.sales_reps_of_partners,
            sales_reps.sales_rep_counts_of_partners,
        )

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader[int, User | None](self._users)

    # Customers, deals and renewals: keys are records the caller was already allowed to see.
    @cached_property
    def customer_figures(self) -> DataLoader[int, CustomerFigures]:
        return DataLoader[int, CustomerFigures](self._customer_figures)

    @cached_property
    def renewal_plan(self) -> DataLoader[Customer, RenewalPlan]:
        return DataLoader[Customer, RenewalPlan](
            self._renewal_plans, cache_key_fn=lambda customer: customer.id
        )

    @cached_property
    def subscription_of_customer(self) -> DataLoader[int, Subscription | None]:
        return DataLoader[int, Subscription | None](self._subscriptions)

    @cached_property
    def customer(self) -> DataLoader[int, Customer | None]:
        return DataLoader[int, Customer | None](self._customers)

    @cached_property
    def notes_of_deal(self) -> PagedLoader[DealNote]:
        return PagedLoader[DealNote](
            self._require_viewer, deals.note_pages_of_deals, deals.note_counts_of_deals
        )

    @cached_property
    def commission_of_deal(self) -> DataLoader[int, Commission | None]:
        return DataLoader[int, Commission | None](self._commissions)

    @cached_property
    def switch_actor(self) -> DataLoader[int, User | None]:
        return DataLoader[int, User | None](self._switch_actors)

    @cached_property
    def visible_customer(self) -> DataLoader[int, Customer | None]:
        return DataLoader[int, Customer | None](self._visible_customers)

    @cached_property
    def webhook_endpoint(self) -> DataLoader[int, WebhookEndpoint | None]:
        return DataLoader[int, WebhookEndpoint | None](self._webhook_endpoints)

    @cached_property
    def webhook_delivery(self) -> DataLoader[int, WebhookEvent | None]:
        return DataLoader[int, WebhookEvent | None](self._webhook_deliveries)

    # Deal registrations: their history, their deal, a conflict's holder (vendor staff).
    @cached_property
    def history_of_deal_registration(self) -> PagedLoader[DealRegistrationEvent]:
        return PagedLoader[DealRegistrationEvent](
            self._require_viewer,
            registration_queries.history_pages,
            registration_queries.history_counts,
        )

    @cached_property
    def deal(self) -> DataLoader[int, Deal | None]:
        return DataLoader[int, Deal | None](self._deals)

    @cached_property
    def deal_registration(self) -> DataLoader[int, DealRegistration | None]:
        return DataLoader[int, DealRegistration | None](self._deal_registrations)

    def _require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise PermissionError("Loaders are only available to an authenticated viewer.")
        return self.viewer

    async def _groups_of_partners(self, partner_ids: list[int]) -> list[list[PartnerGroup]]:
        groups = await partner_groups.groups_of_partners(self._require_viewer(), partner_ids)
        return [groups.get(p, []) for p in partner_ids]

    async def _members_of_groups(self, group_ids: list[int]) -> list[list[PartnerOrg]]:
        by_group = await partner_groups.members_of_groups(self._require_viewer(), group_ids)
        return [by_group[g] for g in group_ids]

    async def _partners(self, partner_ids: list[int]) -> list[PartnerOrg | None]:
        found = await partners.partners_by_ids(self._require_viewer(), partner_ids)
        return [found.get(p) for p in partner_ids]

    async def _contacts(self, customer_ids: list[int]) -> list[list[CustomerContact]]:
        by_customer = await customers.contacts_of_customers(customer_ids)
        return [by_customer.get(c, []) for c in customer_ids]

    async def _users(self, user_ids: list[int]) -> list[User | None]:
        found = await users.users_by_ids(self._require_viewer(), user_ids)
        return [found.get(u) for u in user_ids]

    async def _customer_figures(self, customer_ids: list[int]) -> list[CustomerFigures]:
        figures = await overview.customer_figures(customer_ids)
        return [figures[c] for c in customer_ids]

    async def _renewal_plans(self, customer_list: list[Customer]) -> list[RenewalPlan]:
        plans = await renewals.renewal_plans(customer_list)
        return [plans[c.id] for c in customer_list]

    async def _subscriptions(self, customer_ids: list[int]) -> list[Subscription | None]:
        found = await conversion.subscriptions_of_customers(customer_ids)
        return [found.get(c) for c in customer_ids]

    async def _customers(self, customer_ids: list[int]) -> list[Customer | None]:
        found = await customers.customers_by_id(customer_ids)
        return [found.get(c) for c in customer_ids]

    async def _commissions(self, deal_ids: list[int]) -> list[Commission | None]:
        found = await deals.commissions_of_deals(deal_ids)
        return [found.get(d) for d in deal_ids]

    async def _switch_actors(self, user_ids: list[int]) -> list[User | None]:
        found = await switching.actors_by_id(user_ids)
        return [found.get(u) for u in user_ids]

    async def _visible_customers(self, customer_ids: list[int]) -> list[Customer | None]:
        found = await customer_access.visible_customers(self._require_viewer(), customer_ids)
        return [found.get(c) for c in customer_ids]

    async def _webhook_endpoints(self, endpoint_ids: list[int]) -> list[WebhookEndpoint | None]:
        found = await webhook_endpoints.endpoints_by_ids(self._require_viewer(), endpoint_ids)
        return [found.get(e) for e in endpoint_ids]

    async def _webhook_deliveries(self, delivery_ids: list[int]) -> list[WebhookEvent | None]:
        found = await webhook_endpoints.deliveries_by_ids(self._require_viewer(), delivery_ids)
        return [found.get(d) for d in delivery_ids]

    async def _deals(self, deal_ids: list[int]) -> list[Deal | None]:
        found = await deals.deals_by_id(deal_ids)
        return [found.get(d) for d in deal_ids]

    async def _deal_registrations(self, ids: list[int]) -> list[DealRegistration | None]:
        found = await registration_queries.registrations_by_ids(self._require_viewer(), ids)
        return [found.get(r) for r in ids]
