"""Reading and changing the deal-registration settings: how long an approval protects, how long an
extension adds, the review target in working days, the review team's time zone and days off, and
when partners are reminded before their protection ends.

Vendor staff read the settings; only vendor admins change them. Every value is checked before
anything is written: one bad value and nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from models.deal_registrations import DealRegistrationSettings
from services.deals.registration_settings import current_settings
from services.deals.working_days import zone_of
from services.platform.errors import ValidationFailed, forbidden
from services.platform.validation import clean_text
from services.platform.viewer import Viewer

PROTECTION_DAYS = (1, 730)
EXTENSION_DAYS = (1, 365)
REVIEW_TARGET_WORKING_DAYS = (0, 30)
REMINDER_OFFSET_DAYS = (1, 365)
MAX_REMINDER_OFFSETS = 10
MAX_HOLIDAYS = 500
MAX_TIME_ZONE_LENGTH = 64


@dataclass(frozen=True)
class RegistrationSettingsChanges:
    """What to change; None leaves a setting as it is."""

    protection_days: int | None = None
    extension_days: int | None = None
    review_target_working_days: int | None = None
    time_zone: str | None = None
    holidays: Sequence[date] | None = None
    expiry_reminder_offsets: Sequence[int] | None = None


@lru_cache(maxsize=1)
def _known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone the review team can work in, or None."""
    if name not in _known_time_zones():
        return "Use an IANA time zone such as Europe/Amsterdam."
    try:
        zone_of(name)
    except (ValueError, OSError):
        return "Use an IANA time zone such as Europe/Amsterdam."
    return None


async def registration_settings(viewer: Viewer) -> DealRegistrationSettings:
    """The settings, for vendor staff (partners see their effects, not the settings)."""
    if not viewer.is_vendor_staff:
        raise forbidden("Only vendor staff can read the deal-registration settings.")
    return await current_settings()


def _check_range(
    value: int, bounds: tuple[int, int], field: str, unit: str, problems: list[tuple[str, str]]
) -> None:
    low, high = bounds
    if not low <= value <= high:
        problems.append((field, f"Choose {low} to {high} {unit}."))


def _checked_holidays(holidays: Sequence[date], problems: list[tuple[str, str]]) -> list[str]:
    if len(holidays) > MAX_HOLIDAYS:
        problems.append(("holidays", f"List at most {MAX_HOLIDAYS} holidays."))
        return []
    if len(set(holidays)) != len(holidays):
        problems.append(("holidays", "List each holiday once."))
        return []
    return [day.isoformat() for day in sorted(holidays)]


def _checked_offsets(offsets: Sequence[int], problems: list[tuple[str, str]]) -> list[int]:
    field = "expiryReminderOffsets"
    if len(offsets) > MAX_REMINDER_OFFSETS:
        problems.append((field, f"Choose at most {MAX_REMINDER_OFFSETS} reminders."))
        return []
    low, high = REMINDER_OFFSET_DAYS
    if any(not low <= offset <= high for offset in offsets):
        problems.append((field, f"Each reminder is {low} to {high} days before expiry."))
        return []
    if len(set(offsets)) != len(offsets):
        problems.append((field, "Choose each number of days once."))
        return []
    return sorted(offsets, reverse=True)


async def update_registration_settings(
    viewer: Viewer, changes: RegistrationSettingsChanges
) -> DealRegistrationSettings:
    """Change the settings (vendor admins only); all values are checked before any is written."""
    viewer.require_vendor_admin()
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    numbers = (
        ("protection_days", "protectionDays", PROTECTION_DAYS, "days"),
        ("extension_days", "extensionDays", EXTENSION_DAYS, "days"),
        (
            "review_target_working_days",
            "reviewTargetWorkingDays",
            REVIEW_TARGET_WORKING_DAYS,
            "working days",
        ),
    )
    for name, field, bounds, unit in numbers:
        value = getattr(changes, name)
        if value is not None:
            _check_range(value, bounds, field, unit, problems)
            values[name] = value
    if changes.time_zone is not None:
        name = clean_text(
            changes.time_zone, "timeZone", problems, max_length=MAX_TIME_ZONE_LENGTH, required=True
        )
        if name and not any(field == "timeZone" for field, _ in problems):
            problem = time_zone_problem(name)
            if problem:
                problems.append(("timeZone", problem))
        values["time_zone"] = name
    if changes.holidays is not None:
        values["holidays"] = _checked_holidays(changes.holidays, problems)
    if changes.expiry_reminder_offsets is not None:
        values["expiry_reminder_offsets"] = _checked_offsets(
            changes.expiry_reminder_offsets, problems
        )
    if problems:
        raise ValidationFailed(problems)
    row = await current_settings()
    if values:
        await DealRegistrationSettings.filter(id=row.id).update(**values)
        await row.refresh_from_db()
    return row
