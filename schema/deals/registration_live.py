"""The `dealRegistrationChanged` subscription: deal-registration changes pushed live.

Partner users receive their partner's registrations' changes, vendor admins every submitted
registration's, channel managers those of their assigned partners; act-as sessions nothing. Each
push is one history entry with the registration as it is now, and its `cursor`: a client that
subscribes again with `after` (the cursor of the last change it received) first receives, in
order, every change recorded since (missed while it was away), then the live ones; `since` does
the same from a moment (e.g. when the client loaded its lists). A session's end closes the socket
(resolvers/platform/live_sessions.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.deals import registration_live as resolve
from resolvers.platform.permissions import IsAuthenticated, PublicError
from schema.deals.registration_types import DealRegistration, DealRegistrationHistoryEntry
from services.deals.registration_live import LiveChange
from services.platform.errors import ServiceError
from services.platform.pagination import decode_cursor, encode_cursor
from services.platform.pubsub import SubscriberDropped


@strawberry.type(description="One change of a deal registration, pushed live.")
class DealRegistrationChange:
    cursor: str = strawberry.field(
        description="Pass it as `after` when subscribing again to receive what you missed."
    )
    entry: DealRegistrationHistoryEntry = strawberry.field(
        description="The history entry of the change: what happened, from and to which status."
    )
    registration: DealRegistration = strawberry.field(description="The registration as it is now.")


def _change(info: Info, change: LiveChange) -> DealRegistrationChange:
    return DealRegistrationChange(
        cursor=encode_cursor(change.event.id),
        entry=DealRegistrationHistoryEntry.from_model(
            change.event, resolve.visible_details(info, change.event)
        ),
        registration=DealRegistration.from_model(change.registration),
    )


@strawberry.type
class DealRegistrationSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Changes of the deal registrations you may see, live. With `after` (the "
        "cursor of the last change you received) or `since` (a moment), first the changes "
        "recorded after it, in order, then the live ones.",
    )
    async def deal_registration_changed(
        self, info: Info, after: str | None = None, since: datetime | None = None
    ) -> AsyncGenerator[DealRegistrationChange, None]:
        try:
            resolve.require_live_viewer(info)
            after_pk = None if after is None else decode_cursor(after)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        stream = resolve.registration_changes(info, after_pk, since)
        try:
            async for change in stream:
                yield _change(info, change)
        except ServiceError as error:
            raise PublicError(error.message, extensions={"code": error.code.name}) from None
        except SubscriberDropped:
            raise PublicError(
                "Too many changes arrived at once for this connection: subscribe again with "
                "the cursor of the last change you received.",
                extensions={"code": "RESUBSCRIBE"},
            ) from None
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
