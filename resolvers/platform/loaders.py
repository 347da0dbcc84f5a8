"""DataLoaders: nested lists load in one query per level, whatever the page size (no N+1)."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from models.customers import Customer, CustomerContact
from models.partners import PartnerGroup, PartnerOrg
from models.users import SalesRep, User
from models.webhooks import WebhookEndpoint, WebhookEvent
from services.customers import service as customers
from services.partners import groups as partner_groups
from services.partners import service as partners
from services.platform.viewer import Viewer
from services.users import sales_reps
from services.users import service as users
from services.webhooks import endpoints as webhook_endpoints


class Loaders:
    """One set of loaders per operation, bound to the viewer so that they never leak rows."""

    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer
        self.groups_of_partner = DataLoader[int, list[PartnerGroup]](self._groups_of_partners)
        self.users_of_partner = DataLoader[int, list[User]](self._users_of_partners)
        self.members_of_group = DataLoader[int, list[PartnerOrg]](self._members_of_groups)
        self.partner = DataLoader[int, PartnerOrg | None](self._partners)
        self.contacts_of_customer = DataLoader[int, list[CustomerContact]](self._contacts)
        self.customers_of_partner = DataLoader[int, list[Customer]](self._customers_of_partners)
        self.sales_reps_of_partner = DataLoader[int, list[SalesRep]](self._sales_reps)
        self.user = DataLoader[int, User | None](self._users)
        self.webhook_endpoint = DataLoader[int, WebhookEndpoint | None](self._webhook_endpoints)
        self.webhook_delivery = DataLoader[int, WebhookEvent | None](self._webhook_deliveries)

    def _require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise PermissionError("Loaders are only available to an authenticated viewer.")
        return self.viewer

    async def _groups_of_partners(self, partner_ids: list[int]) -> list[list[PartnerGroup]]:
        groups = await partner_groups.groups_of_partners(self._require_viewer(), partner_ids)
        return [groups.get(p, []) for p in partner_ids]

    async def _users_of_partners(self, partner_ids: list[int]) -> list[list[User]]:
        by_partner = await users.users_of_partners(self._require_viewer(), partner_ids)
        return [by_partner[p] for p in partner_ids]

    async def _members_of_groups(self, group_ids: list[int]) -> list[list[PartnerOrg]]:
        by_group = await partner_groups.members_of_groups(self._require_viewer(), group_ids)
        return [by_group[g] for g in group_ids]

    async def _partners(self, partner_ids: list[int]) -> list[PartnerOrg | None]:
        found = await partners.partners_by_ids(self._require_viewer(), partner_ids)
        return [found.get(p) for p in partner_ids]

    async def _contacts(self, customer_ids: list[int]) -> list[list[CustomerContact]]:
        by_customer = await customers.contacts_of_customers(customer_ids)
        return [by_customer.get(c, []) for c in customer_ids]

    async def _customers_of_partners(self, partner_ids: list[int]) -> list[list[Customer]]:
        by_partner = await customers.customers_of_partners(self._require_viewer(), partner_ids)
        return [by_partner[p] for p in partner_ids]

    async def _sales_reps(self, partner_ids: list[int]) -> list[list[SalesRep]]:
        by_partner = await sales_reps.list_sales_reps(self._require_viewer(), partner_ids)
        return [by_partner[p] for p in partner_ids]

    async def _users(self, user_ids: list[int]) -> list[User | None]:
        found = await users.users_by_ids(self._require_viewer(), user_ids)
        return [found.get(u) for u in user_ids]

    async def _webhook_endpoints(self, endpoint_ids: list[int]) -> list[WebhookEndpoint | None]:
        found = await webhook_endpoints.endpoints_by_ids(self._require_viewer(), endpoint_ids)
        return [found.get(e) for e in endpoint_ids]

    async def _webhook_deliveries(self, delivery_ids: list[int]) -> list[WebhookEvent | None]:
        found = await webhook_endpoints.deliveries_by_ids(self._require_viewer(), delivery_ids)
        return [found.get(d) for d in delivery_ids]
