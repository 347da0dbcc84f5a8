"""The users domain's background job: purge ended login sessions and old failed-login rows.
services/platform/worker.py runs it every hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.users import AuthSession, LoginFailure
from settings import Settings


async def purge_stale_auth_rows(settings: Settings) -> int:
    """Delete ended sessions and old failed-login rows; returns how many rows went."""
    cutoff = datetime.now(UTC) - timedelta(days=7)
    ended = await AuthSession.filter(expires_at__lt=cutoff).delete()
    failures = await LoginFailure.filter(
        failed_at__lt=datetime.now(UTC) - timedelta(seconds=settings.login_failure_window_seconds)
    ).delete()
    return ended + failures
