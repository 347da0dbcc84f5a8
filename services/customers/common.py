"""The customers domain's building blocks, used by every other module of it (and by deals and
renewals): the clock, typed-text cleaning, the activity log entry, the days a trial has left, and
the domain's settings row.

Every function takes, where time matters, `now`, so that tests run with fixed clocks and the
worker and the API agree on one definition of "today".
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from models.accounts import AccountSettings, ActivityKind, CustomerActivity
from models.customers import Customer
from models.enums import CustomerStatus
from services.platform.validation import clean_text

DEFAULT_REMINDER_OFFSETS = (60, 30, 7)


def utcnow() -> datetime:
    return datetime.now(UTC)


def clean_input(
    value: str,
    field_name: str,
    problems: list[tuple[str, str]],
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Typed text without surrounding blanks, a problem recorded if it cannot be stored or is
    required and empty."""
    text = clean_text(value, field_name, problems, max_length=max_length, multiline=multiline)
    if required and not text:
        problems.append((field_name, "This is required."))
    return text


async def record_activity(
    customer_id: int,
    kind: ActivityKind,
    summary: str = "",
    *,
    actor_id: int | None = None,
    occurred_at: datetime | None = None,
) -> CustomerActivity:
    return await CustomerActivity.create(
        customer_id=customer_id,
        kind=kind,
        summary=summary[:300],
        actor_id=actor_id,
        occurred_at=occurred_at or utcnow(),
    )


def trial_days_left(customer: Customer, now: datetime) -> int | None:
    """Whole days (rounded up) until a running trial ends, 0 on its last moments, None if the
    customer is not in trial."""
    return days_left_of_trial(customer.status, customer.trial_ends_at, now)


def days_left_of_trial(
    status: CustomerStatus, trial_ends_at: datetime | None, now: datetime
) -> int | None:
    if status is not CustomerStatus.TRIAL or trial_ends_at is None:
        return None
    seconds = (trial_ends_at - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))


async def get_account_settings() -> AccountSettings:
    """The domain's settings row, created with the defaults on first use."""
    row = await AccountSettings.get_or_none(id=1)
    if row is not None:
        return row
    try:
        return await AccountSettings.create(
            id=1, renewal_reminder_offsets=list(DEFAULT_REMINDER_OFFSETS), switch_token_minutes=15
        )
    except IntegrityError:  # created by another process at the same moment
        return await AccountSettings.get(id=1)
