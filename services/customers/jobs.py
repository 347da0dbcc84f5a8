"""The customers domain's background jobs, scheduled by services/platform/worker.py: closing
ended trials and refreshing attention items.
"""

from __future__ import annotations

from services.customers.attention import AttentionRefresh, refresh_attention_items
from services.customers.trials import close_ended_trials
from settings import Settings


async def run_close_ended_trials(_settings: Settings) -> int:
    """The worker job."""
    return await close_ended_trials()


async def run_refresh_attention_items(_settings: Settings) -> AttentionRefresh:
    """The worker job."""
    return await refresh_attention_items()
