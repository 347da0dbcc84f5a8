"""Customer accounts (basic listing and creation; the overview comes with deals and renewals)."""

from __future__ import annotations

from strawberry.types import Info

from models.customers import Customer
from models.enums import CustomerStatus
from resolvers.platform.permissions import viewer_of
from services.customers import service as customers
from services.customers.service import NewContact
from services.platform.pagination import Page


async def list_customers(
    info: Info,
    partner_id: int | None,
    status: CustomerStatus | None,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[Customer]:
    return await customers.list_customers(viewer_of(info), partner_id, status, search, first, after)


async def get_customer(info: Info, customer_id: int) -> Customer:
    return await customers.get_customer(viewer_of(info), customer_id)


async def create_customer(
    info: Info, partner_id: int | None, name: str, contacts: list[NewContact]
) -> Customer:
    return await customers.create_customer(viewer_of(info), partner_id, name, contacts)
