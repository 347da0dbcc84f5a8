"""GraphQL types of the webhooks domain: endpoints, the delivery log, inputs and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.webhooks import DeliveryState as DeliveryStateModel
from models.webhooks import WebhookEndpoint as EndpointModel
from models.webhooks import WebhookEvent as EventModel
from models.webhooks import WebhookEventType as EventTypeModel
from schema.platform.common import OperationErrors, global_id
from schema.platform.node import Node

WebhookEventType = strawberry.enum(
    EventTypeModel,
    name="WebhookEventType",
    description="What happened. The payload's `type` is the lower-case dotted value, e.g. "
    "`deal.won` for DEAL_WON.",
)
WebhookDeliveryState = strawberry.enum(DeliveryStateModel, name="WebhookDeliveryState")


@strawberry.type(description="Where the vendor's events are sent (vendor admins only).")
class WebhookEndpoint(Node):
    id: strawberry.ID
    url: str
    description: str
    event_types: list[WebhookEventType]
    subscription_query: str = strawberry.field(
        description="The subscription document that shapes the payload; empty: the default."
    )
    is_active: bool
    disabled_reason: str = strawberry.field(description="Why delivery disabled it, if it did.")
    failure_streak: int
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then the previous secret signs alongside the current one."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, endpoint: EndpointModel) -> WebhookEndpoint:
        return cls(
            id=global_id("WebhookEndpoint", endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            event_types=[EventTypeModel(value) for value in endpoint.event_types],
            subscription_query=endpoint.subscription_query,
            is_active=endpoint.is_active,
            disabled_reason=endpoint.disabled_reason,
            failure_streak=endpoint.failure_streak,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            created_at=endpoint.created_at,
        )


@strawberry.type(description="An endpoint with its signing secret, shown only this once.")
class WebhookEndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str = strawberry.field(description="whsec_ + base64: keep it, it is not shown again.")


@strawberry.type(description="One event sent (or to be sent) to one endpoint.")
class WebhookDelivery(Node):
    id: strawberry.ID
    endpoint_pk: strawberry.Private[int]
    replay_of_pk: strawberry.Private[int | None]
    message_id: str = strawberry.field(description="The webhook-id header.")
    event_type: WebhookEventType
    payload: str
    state: WebhookDeliveryState
    attempts: int
    response_status: int | None
    response_body: str = strawberry.field(description="The last answer, truncated.")
    latency_ms: int | None
    last_error: str
    occurred_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def from_model(cls, event: EventModel) -> WebhookDelivery:
        return cls(
            id=global_id("WebhookDelivery", event.id),
            endpoint_pk=event.endpoint_id,  # type: ignore[attr-defined]
            replay_of_pk=event.replay_of_id,  # type: ignore[attr-defined]
            message_id=event.message_id,
            event_type=event.event_type,
            payload=event.payload,
            state=event.state,
            attempts=event.attempts,
            response_status=event.response_status,
            response_body=event.response_body,
            latency_ms=event.latency_ms,
            last_error=event.last_error,
            occurred_at=event.occurred_at,
            next_attempt_at=event.next_attempt_at,
            last_attempt_at=event.last_attempt_at,
            delivered_at=event.delivered_at,
        )

    @strawberry.field(description="The endpoint it is sent to (batched: one query per page).")
    async def endpoint(self, info: Info) -> WebhookEndpoint | None:
        endpoint = await info.context.loaders.webhook_endpoint.load(self.endpoint_pk)
        return None if endpoint is None else WebhookEndpoint.from_model(endpoint)

    @strawberry.field(description="The delivery this one replays, if it is a replay.")
    async def replay_of(self, info: Info) -> WebhookDelivery | None:
        if self.replay_of_pk is None:
            return None
        original = await info.context.loaders.webhook_delivery.load(self.replay_of_pk)
        return None if original is None else WebhookDelivery.from_model(original)


@strawberry.input
class WebhookEndpointInput:
    url: str | None = None
    description: str | None = None
    event_types: list[WebhookEventType] | None = None
    subscription_query: str | None = strawberry.field(
        default=None,
        description="`subscription { webhookEvent { ... } }` shaping the payload's `data`; "
        "empty string: the default payload.",
    )
    is_active: bool | None = None


WebhookEndpointResult = Annotated[
    WebhookEndpoint | OperationErrors, strawberry.union("WebhookEndpointResult")
]
WebhookEndpointSecretResult = Annotated[
    WebhookEndpointWithSecret | OperationErrors, strawberry.union("WebhookEndpointSecretResult")
]
WebhookDeliveryResult = Annotated[
    WebhookDelivery | OperationErrors, strawberry.union("WebhookDeliveryResult")
]
