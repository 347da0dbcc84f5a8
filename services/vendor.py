"""The vendor's installation-wide settings (a single row, created on first use)."""

from __future__ import annotations

from models.vendor import VendorSettings


async def get_vendor_settings() -> VendorSettings:
    settings_row, _ = await VendorSettings.get_or_create(id=1)
    return settings_row
