"""Working-day arithmetic for review targets: weekends and the vendor's holidays do not count.

Pure functions, no database. The vendor's review team works in one time zone; a registration
submitted at a moment is due the same wall-clock time `n` working days later in that zone.
A submission on a weekend or a holiday counts from the start (00:00) of the next working day,
so "two working days" after a Saturday submission is Tuesday 00:00, not Monday's Saturday-time.
Daylight-saving changes keep the wall-clock time (the zone's rules decide the UTC moment).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SATURDAY = 5


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def next_working_day(day: date, holidays: Collection[date]) -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def zone_of(time_zone: str) -> ZoneInfo:
    """The zone for an IANA name; ValueError when it is unknown."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValueError(f"Unknown time zone: {time_zone}") from error


def add_working_days(
    moment: datetime, days: int, time_zone: str, holidays: Collection[date]
) -> datetime:
    """The UTC moment `days` working days after `moment` (an aware datetime), counted in the
    review team's time zone. `days` = 0 is the moment itself, or the start of the next working
    day when the moment falls outside working days."""
    if days < 0:
        raise ValueError("days must not be negative")
    zone = zone_of(time_zone)
    local = moment.astimezone(zone)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    if not is_working_day(day, holidays):
        day = next_working_day(day, holidays)
        clock = time(0, 0)
    for _ in range(days):
        day = next_working_day(day, holidays)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def working_days_between(
    start: datetime, end: datetime, time_zone: str, holidays: Collection[date]
) -> int:
    """How many whole working days lie after `start`'s day up to and including `end`'s day, in the
    team's zone (0 when `end` is on the same day or earlier): how late an overdue review is."""
    zone = zone_of(time_zone)
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    count = 0
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count
