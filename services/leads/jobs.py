"""Background jobs of the leads domain; `services.platform.worker` schedules them."""

from __future__ import annotations

import logging
from datetime import datetime

from services.leads.deadlines import settle_overdue_leads
from settings import Settings

log = logging.getLogger("channelport.leads")


async def return_overdue_leads(settings: Settings, now: datetime | None = None) -> int:
    """Worker job: leads not answered by their accept-by deadline go back to the vendor."""
    returned = await settle_overdue_leads(now)
    if returned:
        log.info("returned %s unanswered lead(s) to the vendor", returned)
    return returned
