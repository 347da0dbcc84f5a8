"""The vendor's settings and partners' external sales reps."""

from __future__ import annotations

from strawberry.types import Info

from models.users import SalesRep
from models.vendor import VendorSettings
from resolvers.platform.permissions import viewer_of
from services.users import sales_reps
from services.users.sales_reps import SalesRepFields
from services.vendor import service as vendor
from services.vendor.service import VendorSettingsChanges


async def vendor_settings(info: Info) -> VendorSettings:
    viewer_of(info)
    return await vendor.get_vendor_settings()


async def update_vendor_settings(info: Info, changes: VendorSettingsChanges) -> VendorSettings:
    return await vendor.update_vendor_settings(viewer_of(info), changes)


async def create_sales_rep(info: Info, partner_id: int | None, fields: SalesRepFields) -> SalesRep:
    return await sales_reps.create_sales_rep(viewer_of(info), partner_id, fields)


async def update_sales_rep(info: Info, sales_rep_id: int, fields: SalesRepFields) -> SalesRep:
    return await sales_reps.update_sales_rep(viewer_of(info), sales_rep_id, fields)


async def delete_sales_rep(info: Info, sales_rep_id: int) -> None:
    await sales_reps.delete_sales_rep(viewer_of(info), sales_rep_id)
