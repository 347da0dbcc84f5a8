"""Managing webhook endpoints (vendor admins only): create, update, rotate the secret, delete,
list; the delivery log, replaying a delivery and sending a test event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from models.webhooks import DeliveryState, WebhookEndpoint, WebhookEvent, WebhookEventType
from services.platform.errors import ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer
from services.webhooks.addresses import refuse_literal_private_host, url_problem
from services.webhooks.events import queue_event
from services.webhooks.rendering import document_problems
from services.webhooks.signing import new_secret
from services.webhooks.wakeup import wake_webhook_sender
from settings import Settings

MAX_DESCRIPTION_LENGTH = 500
MAX_DOCUMENT_LENGTH = 20_000
SUBSCRIBABLE = [t for t in WebhookEventType if t is not WebhookEventType.WEBHOOK_TEST]


@dataclass
class EndpointFields:
    """What a create or update sets; None leaves a field as it is (update)."""

    url: str | None = None
    description: str | None = None
    event_types: Sequence[WebhookEventType] | None = None
    subscription_query: str | None = None
    is_active: bool | None = None


def _require_vendor_admin(viewer: Viewer) -> None:
    if not viewer.is_vendor_admin or viewer.is_acting_as_customer:
        raise forbidden("Only vendor admins manage webhooks.")


def _validated(settings: Settings, fields: EndpointFields, creating: bool) -> dict[str, object]:
    problems: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    if fields.url is not None or creating:
        url = (fields.url or "").strip()
        problem = url_problem(url)
        if problem:
            problems.append(("url", problem))
        else:
            try:
                refuse_literal_private_host(url, settings.webhook_allowed_hosts)
            except ValidationFailed as refused:
                problems.extend(refused.problems)
        values["url"] = url
    if fields.description is not None:
        if len(fields.description) > MAX_DESCRIPTION_LENGTH:
            problems.append(("description", f"Use at most {MAX_DESCRIPTION_LENGTH} characters."))
        values["description"] = fields.description.strip()
    if fields.event_types is not None or creating:
        chosen = list(dict.fromkeys(fields.event_types or []))
        if not chosen:
            problems.append(("eventTypes", "Choose at least one event type."))
        if WebhookEventType.WEBHOOK_TEST in chosen:
            problems.append(("eventTypes", "WEBHOOK_TEST is only sent by sendTestWebhookEvent."))
        values["event_types"] = [t.value for t in chosen]
    if fields.subscription_query is not None:
        document = fields.subscription_query.strip()
        if len(document) > MAX_DOCUMENT_LENGTH:
            problems.append(("subscriptionQuery", f"Use at most {MAX_DOCUMENT_LENGTH} characters."))
        elif document:
            problems.extend(("subscriptionQuery", p) for p in document_problems(document))
        values["subscription_query"] = document
    if fields.is_active is not None:
        values["is_active"] = fields.is_active
    if problems:
        raise ValidationFailed(problems)
    return values


async def create_endpoint(
    viewer: Viewer, settings: Settings, fields: EndpointFields
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (the caller shows it once)."""
    _require_vendor_admin(viewer)
    values = _validated(settings, fields, creating=True)
    return await WebhookEndpoint.create(**values, secret=new_secret(), created_by_id=viewer.user_id)


async def get_endpoint(viewer: Viewer, endpoint_id: int) -> WebhookEndpoint:
    _require_vendor_admin(viewer)
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if endpoint is None:
        raise not_found("Webhook endpoint")
    return endpoint


async def list_endpoints(viewer: Viewer, window: PageWindow) -> Page[WebhookEndpoint]:
    """A page of the endpoints, oldest first."""
    _require_vendor_admin(viewer)
    return await paginate(WebhookEndpoint.all(), window)


async def endpoints_by_ids(viewer: Viewer, endpoint_ids: list[int]) -> dict[int, WebhookEndpoint]:
    """The endpoints with these ids, by id (one query); nothing for anyone but a vendor admin."""
    if not viewer.is_vendor_admin or viewer.is_acting_as_customer:
        return {}
    return {row.id: row for row in await WebhookEndpoint.filter(id__in=endpoint_ids)}


async def get_delivery(viewer: Viewer, delivery_id: int) -> WebhookEvent:
    _require_vendor_admin(viewer)
    delivery = await WebhookEvent.get_or_none(id=delivery_id)
    if delivery is None:
        raise not_found("Webhook delivery")
    return delivery


async def deliveries_by_ids(viewer: Viewer, delivery_ids: list[int]) -> dict[int, WebhookEvent]:
    """The deliveries with these ids, by id (one query); nothing for anyone but a vendor admin."""
    if not viewer.is_vendor_admin or viewer.is_acting_as_customer:
        return {}
    return {row.id: row for row in await WebhookEvent.filter(id__in=delivery_ids)}


async def update_endpoint(
    viewer: Viewer, settings: Settings, endpoint_id: int, fields: EndpointFields
) -> WebhookEndpoint:
    endpoint = await get_endpoint(viewer, endpoint_id)
    values = _validated(settings, fields, creating=False)
    if values.get("is_active") is True and not endpoint.is_active:
        values.update(failure_streak=0, failing_since=None, disabled_reason="")
    endpoint.update_from_dict(values)
    await endpoint.save()
    if endpoint.is_active:
        wake_webhook_sender()
    return endpoint


async def rotate_secret(
    viewer: Viewer, settings: Settings, endpoint_id: int, overlap_seconds: int | None
) -> WebhookEndpoint:
    """A new secret; the old one keeps signing alongside for `overlap_seconds` (default:
    WEBHOOK_SECRET_OVERLAP_SECONDS), so receivers can switch without missing a request."""
    overlap = (
        settings.webhook_secret_overlap_seconds if overlap_seconds is None else overlap_seconds
    )
    if not 0 <= overlap <= 30 * 24 * 3600:
        raise ValidationFailed([("overlapSeconds", "Use 0 to 2592000 seconds (30 days).")])
    endpoint = await get_endpoint(viewer, endpoint_id)
    endpoint.previous_secret = endpoint.secret if overlap else ""
    endpoint.previous_secret_expires_at = (
        datetime.now(UTC) + timedelta(seconds=overlap) if overlap else None
    )
    endpoint.secret = new_secret()
    await endpoint.save()
    return endpoint


async def delete_endpoint(viewer: Viewer, endpoint_id: int) -> None:
    endpoint = await get_endpoint(viewer, endpoint_id)
    await endpoint.delete()


async def list_deliveries(
    viewer: Viewer,
    endpoint_id: int,
    state: DeliveryState | None,
    window: PageWindow,
) -> Page[WebhookEvent]:
    """A page of the endpoint's delivery log, oldest first."""
    await get_endpoint(viewer, endpoint_id)
    query = WebhookEvent.filter(endpoint_id=endpoint_id)
    if state is not None:
        query = query.filter(state=state)
    return await paginate(query, window)


async def replay_delivery(viewer: Viewer, delivery_id: int) -> WebhookEvent:
    """Queue the same payload again, with the same webhook-id, as a new delivery."""
    original = await get_delivery(viewer, delivery_id)
    now = datetime.now(UTC)
    replay = await WebhookEvent.create(
        endpoint_id=original.endpoint_id,  # type: ignore[attr-defined]
        message_id=original.message_id,
        event_type=original.event_type,
        payload=original.payload,
        occurred_at=now,
        next_attempt_at=now,
        replay_of=original,
    )
    wake_webhook_sender()
    return replay


async def send_test_event(viewer: Viewer, endpoint_id: int) -> WebhookEvent:
    """Queue a WEBHOOK_TEST event to the endpoint (whatever its event types)."""
    endpoint = await get_endpoint(viewer, endpoint_id)
    async with in_transaction():
        event = await queue_event(
            endpoint, WebhookEventType.WEBHOOK_TEST, endpoint, datetime.now(UTC)
        )
    wake_webhook_sender()
    return event
