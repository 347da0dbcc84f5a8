"""The vendor's settings."""

from __future__ import annotations

from strawberry.types import Info

from models.vendor import VendorSettings
from resolvers.platform.permissions import viewer_of
from services.vendor import service as vendor
from services.vendor.service import VendorSettingsChanges


async def vendor_settings(info: Info) -> VendorSettings:
    viewer_of(info)
    return await vendor.get_vendor_settings()


async def update_vendor_settings(info: Info, changes: VendorSettingsChanges) -> VendorSettings:
    return await vendor.update_vendor_settings(viewer_of(info), changes)
