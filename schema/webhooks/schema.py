"""The webhooks domain's queries and mutations (vendor admins only), and the `webhookEvent`
subscription root that endpoint subscription documents select from."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsVendorAdmin, PublicError
from resolvers.webhooks import resolvers as resolve
from schema.customers.types import DoneResult
from schema.platform.common import Done, Edge, PageInfo, fetch, mutate, parse_id
from schema.webhooks.subjects import WebhookEventPayload
from schema.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryResult,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEndpointInput,
    WebhookEndpointResult,
    WebhookEndpointSecretResult,
    WebhookEndpointWithSecret,
)
from services.platform.pagination import encode_cursor
from services.webhooks.endpoints import EndpointFields


def _fields(data: WebhookEndpointInput) -> EndpointFields:
    return EndpointFields(
        url=data.url,
        description=data.description,
        event_types=data.event_types,
        subscription_query=data.subscription_query,
        is_active=data.is_active,
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(permission_classes=[IsVendorAdmin], description="Every webhook endpoint.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        rows = await fetch(lambda: resolve.list_endpoints(info))
        return [WebhookEndpoint.from_model(row) for row in rows]

    @strawberry.field(permission_classes=[IsVendorAdmin])
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint:
        row = await fetch(lambda: resolve.get_endpoint(info, parse_id(id, "Webhook endpoint")))
        return WebhookEndpoint.from_model(row)

    @strawberry.field(
        permission_classes=[IsVendorAdmin],
        description="An endpoint's delivery log, oldest first: status, attempts, response.",
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID,
        state: WebhookDeliveryState | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WebhookDeliveryConnection:
        page = await fetch(
            lambda: resolve.deliveries(
                info, parse_id(endpoint_id, "Webhook endpoint", "endpointId"), state, first, after
            )
        )
        return WebhookDeliveryConnection(
            edges=[
                Edge(cursor=encode_cursor(row.id), node=WebhookDelivery.from_model(row))
                for row in page.items
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Add an endpoint; its signing secret is in the answer, and only there.",
    )
    async def create_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> WebhookEndpointSecretResult:
        async def run() -> WebhookEndpointWithSecret:
            row = await resolve.create_endpoint(info, _fields(input))
            return WebhookEndpointWithSecret(
                endpoint=WebhookEndpoint.from_model(row), secret=row.secret
            )

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsVendorAdmin])
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: WebhookEndpointInput
    ) -> WebhookEndpointResult:
        async def run() -> WebhookEndpoint:
            endpoint_id = parse_id(id, "Webhook endpoint")
            return WebhookEndpoint.from_model(
                await resolve.update_endpoint(info, endpoint_id, _fields(input))
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="A new signing secret (shown once). The old one keeps signing alongside for "
        "`overlapSeconds` (default WEBHOOK_SECRET_OVERLAP_SECONDS): requests carry both "
        "signatures meanwhile.",
    )
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID, overlap_seconds: int | None = None
    ) -> WebhookEndpointSecretResult:
        async def run() -> WebhookEndpointWithSecret:
            endpoint_id = parse_id(id, "Webhook endpoint")
            row = await resolve.rotate_secret(info, endpoint_id, overlap_seconds)
            return WebhookEndpointWithSecret(
                endpoint=WebhookEndpoint.from_model(row), secret=row.secret
            )

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsVendorAdmin])
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.delete_endpoint(info, parse_id(id, "Webhook endpoint"))
            return Done()

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Send a delivery's payload again, with the same webhook-id, as a new delivery.",
    )
    async def replay_webhook_delivery(self, info: Info, id: strawberry.ID) -> WebhookDeliveryResult:
        async def run() -> WebhookDelivery:
            row = await resolve.replay(info, parse_id(id, "Webhook delivery"))
            return WebhookDelivery.from_model(row)

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Queue a WEBHOOK_TEST event to the endpoint, whatever its event types.",
    )
    async def send_test_webhook_event(
        self, info: Info, endpoint_id: strawberry.ID
    ) -> WebhookDeliveryResult:
        async def run() -> WebhookDelivery:
            endpoint = parse_id(endpoint_id, "Webhook endpoint", "endpointId")
            return WebhookDelivery.from_model(await resolve.send_test(info, endpoint))

        return await mutate(run)


@strawberry.type
class WebhookSubscription:
    @strawberry.subscription(
        permission_classes=[IsVendorAdmin],
        description="The root of webhook subscription documents (see WebhookEndpoint."
        "subscriptionQuery); it yields nothing over a websocket.",
    )
    async def webhook_event(self, info: Info) -> AsyncGenerator[WebhookEventPayload, None]:
        raise PublicError("webhookEvent only shapes webhook payloads; it cannot be subscribed to.")
        yield  # pragma: no cover - makes this an async generator
