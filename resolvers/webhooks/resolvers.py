"""Webhook endpoints, the delivery log, replay and test events (thin calls into
services/webhooks/)."""

from __future__ import annotations

from strawberry.types import Info

from models.webhooks import DeliveryState, WebhookEndpoint, WebhookEvent
from resolvers.platform.permissions import viewer_of
from services.platform.pagination import Page, PageWindow
from services.webhooks import endpoints
from services.webhooks.endpoints import EndpointFields


async def list_endpoints(info: Info, window: PageWindow) -> Page[WebhookEndpoint]:
    return await endpoints.list_endpoints(viewer_of(info), window)


async def get_endpoint(info: Info, endpoint_id: int) -> WebhookEndpoint:
    return await endpoints.get_endpoint(viewer_of(info), endpoint_id)


async def create_endpoint(info: Info, fields: EndpointFields) -> WebhookEndpoint:
    return await endpoints.create_endpoint(viewer_of(info), info.context.settings, fields)


async def update_endpoint(info: Info, endpoint_id: int, fields: EndpointFields) -> WebhookEndpoint:
    return await endpoints.update_endpoint(
        viewer_of(info), info.context.settings, endpoint_id, fields
    )


async def rotate_secret(
    info: Info, endpoint_id: int, overlap_seconds: int | None
) -> WebhookEndpoint:
    return await endpoints.rotate_secret(
        viewer_of(info), info.context.settings, endpoint_id, overlap_seconds
    )


async def delete_endpoint(info: Info, endpoint_id: int) -> None:
    await endpoints.delete_endpoint(viewer_of(info), endpoint_id)


async def deliveries(
    info: Info, endpoint_id: int, state: DeliveryState | None, window: PageWindow
) -> Page[WebhookEvent]:
    return await endpoints.list_deliveries(viewer_of(info), endpoint_id, state, window)


async def get_delivery(info: Info, delivery_id: int) -> WebhookEvent:
    return await endpoints.get_delivery(viewer_of(info), delivery_id)


async def replay(info: Info, delivery_id: int) -> WebhookEvent:
    return await endpoints.replay_delivery(viewer_of(info), delivery_id)


async def send_test(info: Info, endpoint_id: int) -> WebhookEvent:
    return await endpoints.send_test_event(viewer_of(info), endpoint_id)
