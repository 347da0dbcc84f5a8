"""The installation's deal-registration settings (one row, created with defaults on first read)."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError

from models.deal_registrations import DealRegistrationSettings

DEFAULT_EXPIRY_REMINDER_OFFSETS = [30, 7, 1]
SETTINGS_ROW = 1


async def current_settings() -> DealRegistrationSettings:
    settings = await DealRegistrationSettings.get_or_none(id=SETTINGS_ROW)
    if settings is not None:
        return settings
    try:
        return await DealRegistrationSettings.create(
            id=SETTINGS_ROW,
            expiry_reminder_offsets=list(DEFAULT_EXPIRY_REMINDER_OFFSETS),
            holidays=[],
        )
    except IntegrityError:  # another request created it first
        return await DealRegistrationSettings.get(id=SETTINGS_ROW)


def holidays_of(settings: DealRegistrationSettings) -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in settings.holidays)
