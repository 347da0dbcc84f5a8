"""The renewals domain's background job, scheduled by services/platform/worker.py: sending the
renewal notices that are due.
"""

from __future__ import annotations

from services.renewals.notices import NoticeRun, send_renewal_notices
from settings import Settings


async def run_renewal_notices(settings: Settings) -> NoticeRun:
    """The worker job."""
    return await send_renewal_notices(settings)
