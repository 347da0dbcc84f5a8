"""Live lead-status changes: published on the pub/sub channel, read by `leadStatusChanged`.

A message carries only the lead id and its partner id: subscribers load the lead from the
database (and check who may see it), so a message never leaks data and is never stale. The web
process publishes through its own pub/sub connection; a worker process without one opens a
short connection to publish (with Redis), so changes reach every web process.
Subscribers that receive a re-sync marker (the pub/sub reconnected) reload from the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.platform.pubsub import PubSub, current_pubsub
from settings import Settings

log = logging.getLogger("channelport.consent")

LEAD_STATUS_CHANNEL = "lead-status-changed"


@dataclass(frozen=True)
class LeadChange:
    lead_id: int
    partner_id: int | None

    def encode(self) -> dict[str, int | None]:
        return {"lead_id": self.lead_id, "partner_id": self.partner_id}

    @classmethod
    def decode(cls, payload: object) -> LeadChange | None:
        if not isinstance(payload, dict):
            return None
        try:
            partner_id = payload.get("partner_id")
            return cls(
                lead_id=int(payload["lead_id"]),
                partner_id=None if partner_id is None else int(partner_id),
            )
        except (ValueError, KeyError, TypeError):
            return None


async def publish_lead_changes(settings: Settings, changes: list[LeadChange]) -> None:
    """Tell every subscriber that these leads changed. Call after the change was committed.

    A failure to publish is logged and swallowed: the change itself is committed, and clients
    re-sync from the database when they (re)subscribe.
    """
    if not changes:
        return
    pubsub = current_pubsub()
    temporary: PubSub | None = None
    if pubsub is None:
        # A worker process of its own: publish through a short connection (Redis reaches every
        # web process; with in-process pub/sub nobody could listen here).
        if not settings.broadcast_url.startswith(("redis://", "rediss://")):
            return
        temporary = pubsub = PubSub(settings.broadcast_url, health_interval=3600)
    try:
        if temporary is not None:
            await temporary.connect()
        for change in changes:
            await pubsub.publish(LEAD_STATUS_CHANNEL, change.encode())
    except Exception:
        log.exception("could not publish %s lead change(s)", len(changes))
    finally:
        if temporary is not None:
            await temporary.disconnect()
