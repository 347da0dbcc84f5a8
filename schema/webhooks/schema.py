"""The webhooks domain's queries and mutations (vendor admins only), and the `webhookEvent`
subscription root that endpoint subscription documents select from."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsVendorAdmin, PublicError
from resolvers.webhooks import resolvers as resolve
from schema.customers.types import DoneResult
from schema.platform.common import (
    Connection,
    Done,
    PageWindow,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from schema.platform.node import register_node
from schema.webhooks.subjects import WebhookEventPayload
from schema.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryResult,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEndpointInput,
    WebhookEndpointResult,
    WebhookEndpointSecretResult,
    WebhookEndpointWithSecret,
)
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
    @strawberry.field(
        permission_classes=[IsVendorAdmin], description="The webhook endpoints, oldest first."
    )
    async def webhook_endpoints(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookEndpoint]:
        page = await fetch(
            lambda: resolve.list_endpoints(info, PageWindow(first, after, last, before))
        )
        return to_connection(page, WebhookEndpoint.from_model)

    @strawberry.field(permission_classes=[IsVendorAdmin])
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint | None:
        row = await fetch(lambda: resolve.get_endpoint(info, parse_id(id, "WebhookEndpoint")))
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
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookDelivery]:
        page = await fetch(
            lambda: resolve.deliveries(
                info,
                parse_id(endpoint_id, "WebhookEndpoint", "endpointId"),
                state,
                PageWindow(first, after, last, before),
            )
        )
        return to_connection(page, WebhookDelivery.from_model)


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
            endpoint_id = parse_id(id, "WebhookEndpoint")
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
            endpoint_id = parse_id(id, "WebhookEndpoint")
            row = await resolve.rotate_secret(info, endpoint_id, overlap_seconds)
            return WebhookEndpointWithSecret(
                endpoint=WebhookEndpoint.from_model(row), secret=row.secret
            )

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsVendorAdmin])
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.delete_endpoint(info, parse_id(id, "WebhookEndpoint"))
            return Done()

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsVendorAdmin],
        description="Send a delivery's payload again, with the same webhook-id, as a new delivery.",
    )
    async def replay_webhook_delivery(self, info: Info, id: strawberry.ID) -> WebhookDeliveryResult:
        async def run() -> WebhookDelivery:
            row = await resolve.replay(info, parse_id(id, "WebhookDelivery"))
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
            endpoint = parse_id(endpoint_id, "WebhookEndpoint", "endpointId")
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


async def _load_endpoint(info: Info, pk: int) -> WebhookEndpoint:
    return WebhookEndpoint.from_model(await resolve.get_endpoint(info, pk))


async def _load_delivery(info: Info, pk: int) -> WebhookDelivery:
    return WebhookDelivery.from_model(await resolve.get_delivery(info, pk))


register_node("WebhookEndpoint", _load_endpoint, IsVendorAdmin)
register_node("WebhookDelivery", _load_delivery, IsVendorAdmin)
