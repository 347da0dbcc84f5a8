"""The `dealRegistrationChanged` stream: a thin call into services/deals/registration_live.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from strawberry.types import Info

from models.deal_registrations import DealRegistrationEvent
from resolvers.platform.permissions import viewer_of
from services.deals import registration_live
from services.deals.registration_live import LiveChange
from services.deals.registration_queries import details_for
from services.platform.pubsub import PubSub


def require_live_viewer(info: Info) -> None:
    registration_live.require_live_viewer(viewer_of(info))


def registration_changes(
    info: Info, after: int | None, since: datetime | None
) -> AsyncIterator[LiveChange]:
    pubsub: PubSub | None = getattr(info.context.request.app.state, "pubsub", None)
    if pubsub is None:
        raise RuntimeError("the application has no pub/sub connection")
    return registration_live.registration_changes(pubsub, viewer_of(info), after, since)


def visible_details(info: Info, event: DealRegistrationEvent) -> dict[str, Any]:
    """A history entry's details as the subscriber may read them (no conflict holder for
    partners)."""
    return details_for(viewer_of(info), event)
