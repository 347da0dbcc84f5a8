"""The live pop-up stream of one connected partner user (the `popups` subscription).

On subscribe it listens on the pub/sub channel first, then reads the user's unread, unexpired
pop-ups from the database and yields them, then yields every newly published pop-up the user is
a recipient of, live. After a pub/sub reconnect (`RESYNC`) it reads the database again and yields
what it has not yielded yet, so that a pop-up published while Redis was away is not missed.
A subscriber that passes `after` (the publication cursor of the last pop-up it received, see
services/messaging/centre.py) gets, instead of every unread pop-up, only the unread ones
published after it, then the live ones.

A published payload is decoded once per process and shared by all subscribers of the process;
its recipient list is turned into a set, and its pop-up into one `PublishedPopup`, once per
process as well (`_publication`), so a publish to N connected users costs O(N), not
O(N * recipients), and every recipient yields the same value.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from services.messaging.centre import (
    PublishedPopup,
    ReceivedPopup,
    require_partner_member,
    shows_on,
    unread_popups,
)
from services.messaging.delivery import POPUP_CHANNEL
from services.platform.pubsub import RESYNC, PubSub
from services.platform.viewer import Viewer

_PUBLICATIONS: OrderedDict[str, tuple[frozenset[int], PublishedPopup]] = OrderedDict()
_PUBLICATIONS_KEPT = 64


def _publication(payload: dict[str, Any]) -> tuple[frozenset[int], PublishedPopup]:
    """Who may see a published pop-up, and the pop-up as each of them receives it (unread)."""
    key = str(payload.get("publication") or payload.get("id"))
    found = _PUBLICATIONS.get(key)
    if found is None:
        found = (
            frozenset(int(user_id) for user_id in payload.get("recipients", ())),
            PublishedPopup(ReceivedPopup.from_payload(payload), int(payload["cursor"])),
        )
        _PUBLICATIONS[key] = found
        while len(_PUBLICATIONS) > _PUBLICATIONS_KEPT:
            _PUBLICATIONS.popitem(last=False)
    return found


async def popup_stream(
    pubsub: PubSub, viewer: Viewer, page: str | None, after: int | None = None
) -> AsyncIterator[PublishedPopup]:
    """Unread pop-ups from the database (those published after `after`, if given), then live
    ones; re-synced after a reconnect."""
    require_partner_member(viewer)
    delivered: set[int] = set()
    async with pubsub.subscribe(POPUP_CHANNEL) as subscription:
        for published in await unread_popups(viewer, page, after):
            delivered.add(published.popup.message_id)
            yield published
        async for item in subscription:
            if item is RESYNC:
                for published in await unread_popups(viewer, page, after):
                    if published.popup.message_id not in delivered:
                        delivered.add(published.popup.message_id)
                        yield published
                continue
            assert isinstance(item, dict)
            if item.get("type") != "published" or item.get("id") in delivered:
                continue
            recipients, published = _publication(item)
            if viewer.user_id not in recipients:
                continue
            if not shows_on(published.popup.pages, page):
                continue
            delivered.add(published.popup.message_id)
            yield published
