"""Trials that end by themselves: a trial whose end has come without a subscription is closed,
its open deals lost, by the worker job or by the next read of the partner's customers.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.accounts import ActivityKind
from models.customers import Customer
from models.deals import Deal, DealStatus
from models.enums import CustomerStatus
from models.webhooks import WebhookEventType
from services.customers.attention import refresh_attention_items
from services.customers.common import record_activity, utcnow
from services.platform.viewer import Viewer
from services.webhooks.events import emit_fetched


async def close_ended_trials(now: datetime | None = None, scope: Q | None = None) -> int:
    """Close every trial (among `scope`, if given) whose end has come without a subscription;
    returns how many closed.

    Each customer is closed by a conditional update, so that two workers never close one twice
    and a conversion that happened a moment earlier is never undone.
    """
    now = now or utcnow()
    candidates = await Customer.filter(
        scope or Q(), status=CustomerStatus.TRIAL, trial_ends_at__lte=now
    ).values_list("id", flat=True)
    closed: list[int] = []
    for customer_id in candidates:
        async with in_transaction():
            changed = await Customer.filter(
                id=customer_id, status=CustomerStatus.TRIAL, trial_ends_at__lte=now
            ).update(status=CustomerStatus.CLOSED, updated_at=now)
            if not changed:
                continue
            await emit_fetched(WebhookEventType.CUSTOMER_CLOSED, Customer, [customer_id])
            lost = Deal.filter(customer_id=customer_id, status=DealStatus.OPEN)
            lost_ids = list(await lost.values_list("id", flat=True))
            await record_activity(
                customer_id,
                ActivityKind.TRIAL_ENDED,
                "The trial ended without a subscription.",
                occurred_at=now,
            )
            await Deal.filter(customer_id=customer_id, status=DealStatus.OPEN).update(
                status=DealStatus.LOST,
                lost_reason="The trial ended without a subscription.",
                closed_at=now,
                updated_at=now,
            )
            await emit_fetched(WebhookEventType.DEAL_LOST, Deal, lost_ids)
        closed.append(customer_id)
    if closed:
        await refresh_attention_items(now, closed)
    return len(closed)


async def settle_ended_trials(viewer: Viewer) -> int:
    """Close the ended trials among the customers the viewer may see, as the worker job does:
    every read of and action on customers runs it first, so that a trial whose end has come
    reads and acts as closed whether or not the job has run yet."""
    return await close_ended_trials(scope=viewer.partner_filter("partner_id"))
