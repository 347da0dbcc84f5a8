"""Live lead-status changes: published on the pub/sub channel, read by `leadStatusChanged`.

A message carries only the lead id and its partner id: subscribers load the lead from the
database (and check who may see it), so a message never leaks data and is never stale. The web
process attaches its pub/sub connection at start-up; a separate worker process without one opens a
short connection to publish (with Redis), so changes reach every web process.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from services.pubsub import PubSub
from settings import Settings

log = logging.getLogger("channelport.consent")

LEAD_STATUS_CHANNEL = "lead-status-changed"

_attached: list[PubSub] = []


def attach_pubsub(pubsub: PubSub) -> None:
    """Publish lead changes through this (connected) pub/sub of the current process."""
    _attached.append(pubsub)


def detach_pubsub(pubsub: PubSub) -> None:
    if pubsub in _attached:
        _attached.remove(pubsub)


@dataclass(frozen=True)
class LeadChange:
    lead_id: int
    partner_id: int | None

    def encode(self) -> str:
        return json.dumps({"lead_id": self.lead_id, "partner_id": self.partner_id})

    @classmethod
    def decode(cls, message: str) -> LeadChange | None:
        try:
            data = json.loads(message)
            return cls(lead_id=int(data["lead_id"]), partner_id=data.get("partner_id"))
        except (ValueError, KeyError, TypeError):
            return None


async def publish_lead_changes(settings: Settings, changes: list[LeadChange]) -> None:
    """Tell every subscriber that these leads changed. Call after the change was committed.

    A failure to publish is logged and swallowed: the change itself is committed, and clients
    re-sync from the database when they (re)subscribe.
    """
    if not changes:
        return
    try:
        targets = list(_attached)
        if targets:
            for pubsub in targets:
                for change in changes:
                    await pubsub.broadcast.publish(LEAD_STATUS_CHANNEL, change.encode())
            return
        temporary = PubSub(settings.broadcast_url)
        if not temporary.uses_redis:
            return  # in-process pub/sub without a web process here: nobody can listen
        await temporary.connect()
        try:
            for change in changes:
                await temporary.broadcast.publish(LEAD_STATUS_CHANNEL, change.encode())
        finally:
            await temporary.disconnect()
    except Exception:
        log.exception("could not publish %s lead change(s)", len(changes))
