"""The customers domain's GraphQL calls to service calls: customer accounts, the partner's
customer overview, activity, attention items, the customer's own users, switching into an
account, and recording that a customer's subscription renewed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from strawberry.types import Info

from models.accounts import AttentionItem, CustomerActivity, CustomerUser, SwitchAccountAudit
from models.customers import Customer
from models.enums import CustomerStatus
from resolvers.platform.permissions import viewer_of
from services.customers import account, overview, profile, records, switching
from services.customers import service as customers
from services.customers.overview import CustomerSort, OverviewFilter, OverviewPage, StatusCounts
from services.customers.profile import CustomerChanges
from services.customers.service import NewContact
from services.customers.switching import SwitchGrant
from services.deals import conversion
from services.platform.pagination import Page, PageWindow


async def list_customers(
    info: Info,
    partner_id: int | None,
    status: CustomerStatus | None,
    search: str | None,
    window: PageWindow,
) -> Page[Customer]:
    return await customers.list_customers(viewer_of(info), partner_id, status, search, window)


async def get_customer(info: Info, customer_id: int) -> Customer:
    return await customers.get_customer(viewer_of(info), customer_id)


async def create_customer(
    info: Info, partner_id: int | None, name: str, contacts: list[NewContact]
) -> Customer:
    return await customers.create_customer(viewer_of(info), partner_id, name, contacts)


async def record_renewal(info: Info, customer_id: int) -> Customer:
    return await conversion.record_renewal(viewer_of(info), customer_id)


async def customer_overview(
    info: Info, flt: OverviewFilter, sort: CustomerSort, window: PageWindow
) -> OverviewPage:
    return await overview.customer_overview(viewer_of(info), flt, sort, window)


async def overview_counts(info: Info, flt: OverviewFilter) -> StatusCounts:
    return await overview.overview_counts(viewer_of(info), flt)


async def list_activities(
    info: Info, customer_id: int, window: PageWindow
) -> Page[CustomerActivity]:
    return await account.list_activities(viewer_of(info), customer_id, window)


async def report_activity(
    info: Info, customer_id: int, summary: str, occurred_at: datetime | None
) -> CustomerActivity:
    return await account.report_product_activity(viewer_of(info), customer_id, summary, occurred_at)


async def attention_items(
    info: Info, customer_id: int, window: PageWindow, include_resolved: bool
) -> Page[AttentionItem]:
    return await account.attention_items_of_customer(
        viewer_of(info), customer_id, window, include_resolved
    )


async def attention_page(
    customer_id: int,
    window: PageWindow,
    include_resolved: bool,
    open_items: list[AttentionItem] | None,
) -> Page[AttentionItem]:
    """Of a customer object the caller already holds (so may see)."""
    return await account.attention_page(customer_id, window, include_resolved, open_items)


async def account_users(info: Info, customer_id: int, window: PageWindow) -> Page[CustomerUser]:
    return await account.users_of_customer(viewer_of(info), customer_id, window)


async def account_users_page(customer_id: int, window: PageWindow) -> Page[CustomerUser]:
    """Of a customer object the caller already holds (so may see)."""
    return await account.account_users_page(customer_id, window)


async def activities_page(customer_id: int, window: PageWindow) -> Page[CustomerActivity]:
    """Of a customer object the caller already holds (so may see)."""
    return await account.activities_page(customer_id, window)


async def update_customer(info: Info, customer_id: int, changes: CustomerChanges) -> Customer:
    return await profile.update_customer(viewer_of(info), customer_id, changes)


async def add_account_user(
    info: Info, customer_id: int, email: str, full_name: str
) -> CustomerUser:
    return await account.add_customer_user(viewer_of(info), customer_id, email, full_name)


async def remove_account_user(info: Info, customer_user_id: int) -> None:
    await account.remove_customer_user(viewer_of(info), customer_user_id)


async def switch_account(info: Info, customer_id: int) -> SwitchGrant:
    return await switching.switch_account(
        info.context.settings, viewer_of(info), customer_id, info.context.client_address
    )


async def acting_customer(info: Info) -> Customer | None:
    return await switching.acting_customer(viewer_of(info))


async def switch_audit_log(
    info: Info, customer_id: int | None, window: PageWindow
) -> Page[SwitchAccountAudit]:
    return await switching.switch_audit_log(viewer_of(info), customer_id, window)


async def customer_record(info: Info, label: str, pk: int) -> Any:
    """A record of a customer account the caller may see (node(id)); `label` names its kind
    (services/customers/records.py CUSTOMER_RECORDS)."""
    return await records.visible_record(viewer_of(info), records.CUSTOMER_RECORDS[label], pk, label)


async def switch_audit_entry(info: Info, pk: int) -> SwitchAccountAudit:
    return await switching.switch_audit_entry(viewer_of(info), pk)
