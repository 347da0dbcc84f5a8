"""The vendor's installation-wide settings (a single row, created on first use)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.vendor import VendorSettings
from services.platform.errors import ValidationFailed
from services.platform.validation import check_email, clean_text
from services.platform.viewer import Viewer


@dataclass
class VendorSettingsChanges:
    vendor_name: str | None = None
    support_email: str | None = None
    trial_length_days: int | None = None
    consent_token_lifetime_days: int | None = None
    lead_protection_window_days: int | None = None
    portal_terms_version: str | None = None
    portal_terms_opt_in_supplier_emails: bool | None = None


# Allowed ranges of the numeric settings, in days.
_DAY_RANGES = {
    "trial_length_days": ("trialLengthDays", 1, 365),
    "consent_token_lifetime_days": ("consentTokenLifetimeDays", 1, 90),
    "lead_protection_window_days": ("leadProtectionWindowDays", 0, 730),
}


async def get_vendor_settings() -> VendorSettings:
    settings_row, _ = await VendorSettings.get_or_create(id=1)
    return settings_row


async def update_vendor_settings(viewer: Viewer, changes: VendorSettingsChanges) -> VendorSettings:
    viewer.require_vendor_admin()
    values: dict[str, Any] = {k: v for k, v in vars(changes).items() if v is not None}
    problems: list[tuple[str, str]] = []
    for name, (input_field, low, high) in _DAY_RANGES.items():
        if name in values and not low <= values[name] <= high:
            problems.append((input_field, f"Must be between {low} and {high} days."))
    if "vendor_name" in values:
        values["vendor_name"] = clean_text(
            values["vendor_name"], "vendorName", problems, max_length=200, required=True
        )
    if "support_email" in values:
        values["support_email"] = check_email(values["support_email"], "supportEmail", problems)
    if "portal_terms_version" in values:
        values["portal_terms_version"] = clean_text(
            values["portal_terms_version"], "portalTermsVersion", problems, max_length=50
        )
    if problems:
        raise ValidationFailed(problems)
    row = await get_vendor_settings()
    if values:
        await VendorSettings.filter(id=row.id).update(**values)
        await row.refresh_from_db()
    return row
