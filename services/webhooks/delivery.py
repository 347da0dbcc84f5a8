"""The webhook sender: claims endpoints with due events and delivers their events in order.

How a run goes:

1. Claim up to WEBHOOK_CLAIM_SIZE active endpoints that have a due pending event and no live
   lease. On PostgreSQL the endpoints are selected with `SELECT ... FOR UPDATE SKIP LOCKED` and
   leased (`locked_by`, `locked_until`) in the same short transaction; on SQLite one
   `UPDATE ... WHERE id IN (SELECT ...)` claims them. One worker at a time holds an endpoint,
   so several workers never deliver the same attempt twice, and an endpoint's events go out one
   after another in event-time order.
2. For each claimed endpoint (endpoints run concurrently), deliver its oldest pending event,
   then the next, until one is not due yet or fails with a retry scheduled (later events wait
   behind it, keeping the order), or the run's limit is reached. Then release the lease.
3. An attempt resolves the host and refuses private addresses (addresses.py), signs the body
   afresh (signing.py) and POSTs it without following redirects. 2xx: delivered. Network error,
   timeout, 5xx or 429: retried after WEBHOOK_RETRY_SECONDS x 2^(attempts-1) (at most 6 hours),
   or after `Retry-After` when the receiver sent one, until WEBHOOK_MAX_ATTEMPTS. Any other
   answer (3xx, 4xx) or a refused address: failed, no retry.
4. Each failure extends the endpoint's failure streak; a delivered event ends it. A streak of
   WEBHOOK_DISABLE_AFTER_FAILURES failures lasting WEBHOOK_DISABLE_AFTER_SECONDS disables the
   endpoint and emails the vendor's support address (through the email outbox).

Crash safety: a worker killed mid-run loses nothing; its endpoints' leases run out and another
worker takes them over. Delivery is at least once: the event the receiver accepted in the
instant before its `delivered` mark was written is sent again, with the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from itertools import count

import httpx
from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from models.vendor import VendorSettings
from models.webhooks import DeliveryState, WebhookEndpoint, WebhookEvent
from services.email.outbox import queue_email
from services.webhooks.addresses import AddressRefused, resolve_target
from services.webhooks.attempt import AttemptResult, new_client, post_signed
from settings import Settings

log = logging.getLogger("channelport.webhooks")

MAX_BACKOFF_SECONDS = 6 * 3600
CLAIM_SIZE = 20
EVENTS_PER_ENDPOINT_RUN = 200
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
_claim_numbers = count(1)


@dataclass
class WebhookReport:
    endpoints: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0

    def add(self, other: WebhookReport) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def _now() -> datetime:
    return datetime.now(UTC)


def backoff_seconds(settings: Settings, attempts: int) -> float:
    return min(settings.webhook_retry_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def _has_due_event(now: datetime) -> Subquery:
    return Subquery(
        WebhookEvent.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now).values(
            "endpoint_id"
        )
    )


async def claim_endpoints(settings: Settings, claim: str) -> list[WebhookEndpoint]:
    """Lease up to CLAIM_SIZE endpoints with due events for `claim` and return them."""
    now = _now()
    free = Q(locked_until=None) | Q(locked_until__lt=now)
    candidates = WebhookEndpoint.filter(free, is_active=True, id__in=_has_due_event(now))
    lease = {
        "locked_by": claim,
        "locked_until": now + timedelta(seconds=settings.webhook_lease_seconds),
    }
    if connections.get("default").capabilities.dialect == "postgres":
        async with in_transaction():
            # Model rows with .only(): values() would silently drop FOR UPDATE (see email sender).
            rows = (
                await candidates.order_by("id")
                .limit(CLAIM_SIZE)
                .select_for_update(skip_locked=True)
                .only("id")
            )
            if not rows:
                return []
            await WebhookEndpoint.filter(id__in=[row.id for row in rows]).update(**lease)
    else:
        ids = candidates.order_by("id").limit(CLAIM_SIZE).values("id")
        if not await WebhookEndpoint.filter(id__in=Subquery(ids)).update(**lease):
            return []
    return await WebhookEndpoint.filter(locked_by=claim).order_by("id")


async def _release(endpoint: WebhookEndpoint, claim: str) -> None:
    await WebhookEndpoint.filter(id=endpoint.id, locked_by=claim).update(
        locked_by=None, locked_until=None
    )


def secrets_in_force(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


async def _attempt(
    settings: Settings, client: httpx.AsyncClient, endpoint: WebhookEndpoint, event: WebhookEvent
) -> AttemptResult:
    try:
        target = await resolve_target(endpoint.url, settings.webhook_allowed_hosts)
    except AddressRefused as refused:
        return AttemptResult(status=None, body="", latency_ms=0, error=str(refused), retry=False)
    in_force = secrets_in_force(endpoint, _now())
    return await post_signed(client, endpoint.url, target, event, in_force)


async def _disable(settings: Settings, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable the endpoint and tell the vendor's support address (same transaction)."""
    endpoint.is_active = False
    endpoint.disabled_reason = reason
    await endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    vendor = await VendorSettings.first()
    if vendor is not None and vendor.support_email:
        await queue_email(
            settings,
            to=vendor.support_email,
            template="notice",
            context={
                "subject": f"Webhook endpoint disabled: {endpoint.url}",
                "heading": "A webhook endpoint was disabled",
                "paragraphs": [
                    f"Channelport stopped sending events to {endpoint.url}: {reason}",
                    "Its events are kept. Fix the receiver, then set the endpoint active again "
                    "to resume delivery.",
                ],
                "action_url": f"{settings.public_url}/settings/webhooks/{endpoint.id}",
                "action_label": "Open the endpoint",
            },
            source="webhook_disabled",
            reference=f"webhook_endpoint:{endpoint.id}",
        )


async def _record(
    settings: Settings,
    endpoint: WebhookEndpoint,
    event: WebhookEvent,
    result: AttemptResult,
    report: WebhookReport,
) -> bool:
    """Write the attempt's outcome; True if the next event may go (delivered or given up)."""
    now = _now()
    attempts = event.attempts + 1
    log_fields = {
        "attempts": attempts,
        "response_status": result.status,
        "response_body": result.body,
        "latency_ms": result.latency_ms,
        "last_error": result.error,
        "last_attempt_at": now,
    }
    pending = WebhookEvent.filter(id=event.id, state=DeliveryState.PENDING)
    if result.delivered:
        await pending.update(**log_fields, state=DeliveryState.DELIVERED, delivered_at=now)
        if endpoint.failure_streak:
            await WebhookEndpoint.filter(id=endpoint.id).update(
                failure_streak=0, failing_since=None
            )
            endpoint.failure_streak, endpoint.failing_since = 0, None
        report.delivered += 1
        return True
    async with in_transaction():
        give_up = not result.retry or attempts >= settings.webhook_max_attempts
        if give_up:
            await pending.update(**log_fields, state=DeliveryState.FAILED)
            report.failed += 1
        else:
            wait = result.retry_after
            if wait is None:
                wait = backoff_seconds(settings, attempts)
            await pending.update(**log_fields, next_attempt_at=now + timedelta(seconds=wait))
            report.retried += 1
        endpoint.failure_streak += 1
        endpoint.failing_since = endpoint.failing_since or now
        await WebhookEndpoint.filter(id=endpoint.id).update(
            failure_streak=endpoint.failure_streak, failing_since=endpoint.failing_since
        )
        sustained = (now - endpoint.failing_since).total_seconds()
        if (
            endpoint.failure_streak >= settings.webhook_disable_after_failures
            and sustained >= settings.webhook_disable_after_seconds
        ):
            await _disable(
                settings,
                endpoint,
                f"{endpoint.failure_streak} failed attempts in a row since "
                f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC; the last: {result.summary}",
            )
            report.disabled += 1
            return False
    return give_up


async def _deliver_endpoint(
    settings: Settings, endpoint: WebhookEndpoint, claim: str
) -> WebhookReport:
    report = WebhookReport(endpoints=1)
    renewed = time.monotonic()
    client = new_client(settings)
    try:
        for _ in range(EVENTS_PER_ENDPOINT_RUN):
            if time.monotonic() - renewed > settings.webhook_lease_seconds / 3:
                renewed = time.monotonic()
                still_mine = await WebhookEndpoint.filter(id=endpoint.id, locked_by=claim).update(
                    locked_until=_now() + timedelta(seconds=settings.webhook_lease_seconds)
                )
                if not still_mine:
                    break
            event = (
                await WebhookEvent.filter(endpoint_id=endpoint.id, state=DeliveryState.PENDING)
                .order_by("occurred_at", "id")
                .first()
            )
            if event is None or event.next_attempt_at > _now():
                break
            result = await _attempt(settings, client, endpoint, event)
            if not await _record(settings, endpoint, event, result, report):
                break
    finally:
        await client.aclose()
        await _release(endpoint, claim)
    return report


async def deliver_due_webhooks(settings: Settings, worker_id: str = WORKER_ID) -> WebhookReport:
    """One round: claim endpoints with due events and deliver them (endpoints concurrently)."""
    claim = f"{worker_id}#{next(_claim_numbers)}"
    endpoints = await claim_endpoints(settings, claim)
    report = WebhookReport()
    if not endpoints:
        return report
    results = await asyncio.gather(
        *(_deliver_endpoint(settings, endpoint, claim) for endpoint in endpoints),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            log.error("webhook delivery failed", exc_info=result)
        else:
            report.add(result)
    return report
