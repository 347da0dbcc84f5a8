"""The partner's customer accounts: overview, activity, attention items, account users and
switching into an account (thin calls into services/accounts.py)."""

from __future__ import annotations

from datetime import datetime

from strawberry.types import Info

from models.accounts import AttentionItem, CustomerActivity, CustomerUser, SwitchAccountAudit
from models.customers import Customer
from resolvers.platform.permissions import viewer_of
from services.customers import overview as accounts
from services.customers.overview import (
    CustomerSort,
    OverviewFilter,
    OverviewPage,
    StatusCounts,
    SwitchGrant,
)
from services.platform.pagination import Page


async def customer_overview(
    info: Info, flt: OverviewFilter, sort: CustomerSort, first: int | None, after: str | None
) -> OverviewPage:
    return await accounts.customer_overview(viewer_of(info), flt, sort, first, after)


async def overview_counts(info: Info, flt: OverviewFilter) -> StatusCounts:
    return await accounts.overview_counts(viewer_of(info), flt)


async def list_activities(
    info: Info, customer_id: int, first: int | None, after: str | None
) -> Page[CustomerActivity]:
    return await accounts.list_activities(viewer_of(info), customer_id, first, after)


async def report_activity(
    info: Info, customer_id: int, summary: str, occurred_at: datetime | None
) -> CustomerActivity:
    return await accounts.report_product_activity(
        viewer_of(info), customer_id, summary, occurred_at
    )


async def attention_items(
    info: Info, customer_id: int, include_resolved: bool
) -> list[AttentionItem]:
    return await accounts.attention_items_of_customer(
        viewer_of(info), customer_id, include_resolved
    )


async def account_users(info: Info, customer_id: int) -> list[CustomerUser]:
    return await accounts.users_of_customer(viewer_of(info), customer_id)


async def add_account_user(
    info: Info, customer_id: int, email: str, full_name: str
) -> CustomerUser:
    return await accounts.add_customer_user(viewer_of(info), customer_id, email, full_name)


async def remove_account_user(info: Info, customer_user_id: int) -> None:
    await accounts.remove_customer_user(viewer_of(info), customer_user_id)


async def switch_account(info: Info, customer_id: int) -> SwitchGrant:
    return await accounts.switch_account(
        info.context.settings, viewer_of(info), customer_id, info.context.client_address
    )


async def acting_customer(info: Info) -> Customer | None:
    return await accounts.acting_customer(viewer_of(info))


async def switch_audit_log(
    info: Info, customer_id: int | None, first: int | None, after: str | None
) -> Page[SwitchAccountAudit]:
    return await accounts.switch_audit_log(viewer_of(info), customer_id, first, after)
