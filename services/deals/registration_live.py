"""Live deal-registration changes: published after each commit, streamed to whoever may see them.

`publish_registration_change` is an after-commit listener of `change_registration` (registered when
this module is imported, see services/deals/registration_listeners.py). A message names only the
history entry, the registration and its partner; it goes to the partner's channel (its users
listen there) and to the vendor channel (vendor staff listen there). Subscribers load the entry
and the registration from the database and check who may see them, so a message never leaks
anything and is never stale. A worker process without its own pub/sub connection publishes through
a short one (with Redis; with in-process pub/sub nobody could listen there).

`registration_changes` is the stream of one subscriber: with `after` (the id of the last history
entry it received) or `since` (a moment), first the recorded changes after it, in order, from the
history table, then every new change live. After a pub/sub reconnect (`RESYNC`) whatever was
recorded meanwhile is read from the history table again, so nothing is lost and nothing is sent
twice.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from tortoise.expressions import Subquery

from models.deal_registrations import DealRegistration, DealRegistrationEvent
from models.enums import Role
from models.users import ChannelManagerAssignment
from services.deals.registration_access import registration_scope
from services.deals.registration_events import RegistrationChange, on_registration_change
from services.deals.registration_listeners import process_settings
from services.platform.errors import forbidden
from services.platform.pubsub import RESYNC, PubSub, current_pubsub
from services.platform.viewer import Viewer

log = logging.getLogger("channelport.deals")

VENDOR_CHANNEL = "deal-registrations:vendor"
REPLAY_BATCH = 100


def partner_channel(partner_id: int) -> str:
    return f"deal-registrations:partner:{partner_id}"


async def publish_registration_change(change: RegistrationChange) -> None:
    """Tell the partner's and the vendor's subscribers (after the change was committed). A
    failure is logged and swallowed: subscribers re-sync from the history table."""
    partner_id = change.registration.partner_id  # type: ignore[attr-defined]
    payload = {
        "event": change.event.id,
        "registration": change.registration.id,
        "partner": partner_id,
    }
    pubsub = current_pubsub()
    temporary: PubSub | None = None
    if pubsub is None:
        broadcast_url = process_settings().broadcast_url
        if not broadcast_url.startswith(("redis://", "rediss://")):
            return
        temporary = pubsub = PubSub(broadcast_url, health_interval=3600)
    try:
        if temporary is not None:
            await temporary.connect()
        await pubsub.publish(partner_channel(partner_id), payload)
        await pubsub.publish(VENDOR_CHANNEL, payload)
    except Exception:
        log.exception("could not publish the change %s of a deal registration", change.event.id)
    finally:
        if temporary is not None:
            await temporary.disconnect()


on_registration_change(publish_registration_change, after_commit=True)


@dataclass(frozen=True)
class LiveChange:
    """One recorded change and the registration as it is now."""

    event: DealRegistrationEvent
    registration: DealRegistration


def require_live_viewer(viewer: Viewer) -> None:
    """Partner users (their partner's registrations) and vendor staff; not act-as sessions."""
    if viewer.is_acting_as_customer:
        raise forbidden("Deal registrations are not available in a customer session.")
    if viewer.is_partner_member and viewer.partner_id is not None:
        return
    if not viewer.is_vendor_staff:
        raise forbidden("Deal registrations are for partner users and vendor staff.")


async def _current(viewer: Viewer) -> Viewer:
    """The viewer with a channel manager's assignments read now: one removed during a long
    session stops the pushes of that partner's registrations."""
    if viewer.role is not Role.CHANNEL_MANAGER:
        return viewer
    assigned = await ChannelManagerAssignment.filter(manager_id=viewer.user_id).values_list(
        "partner_id", flat=True
    )
    return replace(viewer, managed_partner_ids=frozenset(int(p) for p in assigned))


async def _visible(viewer: Viewer, event_id: int, registration_id: int) -> LiveChange | None:
    scope = registration_scope(await _current(viewer))
    registration = await DealRegistration.filter(scope, id=registration_id).first()
    if registration is None:
        return None
    event = await DealRegistrationEvent.get_or_none(id=event_id, registration_id=registration_id)
    return None if event is None else LiveChange(event, registration)


async def _recorded_after(
    viewer: Viewer, after: int, since: datetime | None, delivered: set[int]
) -> AsyncIterator[LiveChange]:
    """The recorded changes after history entry `after` (and at or after `since`) the viewer may
    see and has not received yet, oldest first, read in batches."""
    visible = Subquery(
        DealRegistration.filter(registration_scope(await _current(viewer))).values("id")
    )
    last = after
    while True:
        query = DealRegistrationEvent.filter(id__gt=last, registration_id__in=visible)
        if since is not None:
            query = query.filter(created_at__gte=since)
        batch = await query.order_by("id").limit(REPLAY_BATCH).select_related("registration")
        for event in batch:
            last = event.id
            if event.id not in delivered:
                delivered.add(event.id)
                yield LiveChange(event, event.registration)
        if len(batch) < REPLAY_BATCH:
            return


async def latest_event_id() -> int:
    latest = await DealRegistrationEvent.all().order_by("-id").first()
    return latest.id if latest is not None else 0


async def registration_changes(
    pubsub: PubSub, viewer: Viewer, after: int | None = None, since: datetime | None = None
) -> AsyncIterator[LiveChange]:
    """The changes of the registrations the viewer may see: those recorded after `after` (a
    history entry id) or since `since`, then live ones; re-synced after a pub/sub reconnect."""
    require_live_viewer(viewer)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a moment without a zone is read as UTC
    channel = (
        partner_channel(viewer.partner_id)  # type: ignore[arg-type]
        if viewer.is_partner_member
        else VENDOR_CHANNEL
    )
    delivered: set[int] = set()
    async with pubsub.subscribe(channel) as subscription:
        # Subscribed before reading the history: a change recorded in between is in both, and
        # `delivered` keeps it from being sent twice.
        replay_from = after if after is not None else (0 if since is not None else None)
        if replay_from is None:
            replay_from = await latest_event_id()  # live only: a re-sync starts from here
        else:
            async for change in _recorded_after(viewer, replay_from, since, delivered):
                yield change
        async for item in subscription:
            if item is RESYNC:
                async for change in _recorded_after(viewer, replay_from, since, delivered):
                    yield change
                continue
            try:
                event_id = int(item["event"])
                registration_id = int(item["registration"])
            except (KeyError, TypeError, ValueError):
                continue
            if event_id in delivered:
                continue
            found = await _visible(viewer, event_id, registration_id)
            if found is not None:
                delivered.add(event_id)
                yield found
