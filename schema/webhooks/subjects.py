"""The payload root (`WebhookEventPayload`) and how an event's model row becomes its API type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry

from schema.customers.customer import Customer
from schema.deals.registration_types import DealRegistration
from schema.deals.types import Commission, Deal
from schema.leads.types import Lead
from schema.messaging.types import PartnerMessage
from schema.partners.types import Partner, User
from schema.webhooks.types import WebhookEndpoint, WebhookEventType
from services.webhooks.rendering import EventSubject


@strawberry.type(
    description="What a webhook payload is made from: the event and the one object it is about "
    "(the other object fields are null). Select from it in an endpoint's subscription document."
)
class WebhookEventPayload:
    type: WebhookEventType
    timestamp: datetime
    lead_registration: Lead | None = strawberry.field(
        default=None, description="The lead, for lead-registration events."
    )
    lead: Lead | None = None
    deal: Deal | None = None
    deal_registration: DealRegistration | None = strawberry.field(
        default=None, description="The registration, for deal-registration events."
    )
    customer: Customer | None = None
    commission: Commission | None = None
    partner: Partner | None = None
    user: User | None = None
    message: PartnerMessage | None = None
    endpoint: WebhookEndpoint | None = strawberry.field(
        default=None, description="Set for WEBHOOK_TEST events."
    )


async def _commission(commission: Any) -> Commission:
    await commission.fetch_related("deal")
    return Commission.from_loaded(commission)


def _sync(convert: Callable[[Any], Any]) -> Callable[[Any], Awaitable[Any]]:
    async def run(row: Any) -> Any:
        return convert(row)

    return run


CONVERTERS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "leadRegistration": _sync(Lead.from_model),
    "lead": _sync(Lead.from_model),
    "deal": _sync(Deal.from_model),
    "dealRegistration": _sync(DealRegistration.from_model),
    "customer": _sync(Customer.from_model),
    "commission": _commission,
    "partner": _sync(Partner.from_model),
    "user": _sync(User.from_model),
    "message": _sync(PartnerMessage.from_model),
    "endpoint": _sync(WebhookEndpoint.from_model),
}


async def to_payload(event: EventSubject) -> WebhookEventPayload:
    converted = await CONVERTERS[event.kind](event.subject)
    root = WebhookEventPayload(type=event.event_type, timestamp=event.occurred_at)
    field = {
        "leadRegistration": "lead_registration",
        "dealRegistration": "deal_registration",
    }.get(event.kind, event.kind)
    setattr(root, field, converted)
    return root
