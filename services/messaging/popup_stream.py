"""The live pop-up stream of one connected partner user (the `popups` subscription).

On subscribe it registers with the process's pop-up hub first (services/messaging/popup_hub.py:
one pub/sub subscription per process), then reads the user's unread, unexpired pop-ups from the
database and yields them, then every newly published pop-up the user is a recipient of, live.
After a pub/sub reconnect (`RESYNC`) it reads the database again and yields what it has not
delivered yet, so that a pop-up published while Redis was away is not missed. A subscriber that
passes `after` (the publication cursor of the last pop-up it received, see
services/messaging/centre.py) gets, instead of every unread pop-up, only the unread ones
published after it, then the live ones.

With `send` (a function writing one pop-up to the subscriber's connection), the live pop-ups are
sent by the hub itself while this stream is parked, and only what the hub could not send
(a re-sync, a pop-up arriving while the stream is replaying) is yielded here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from services.messaging.centre import PublishedPopup, require_partner_member, unread_popups
from services.messaging.popup_hub import SendPopup, popup_hub
from services.platform.pubsub import PubSub, Resync
from services.platform.viewer import Viewer


async def popup_stream(
    pubsub: PubSub,
    viewer: Viewer,
    page: str | None,
    after: int | None = None,
    send: SendPopup | None = None,
) -> AsyncIterator[PublishedPopup]:
    """Unread pop-ups from the database (those published after `after`, if given), then live
    ones; re-synced after a reconnect."""
    require_partner_member(viewer)
    async with popup_hub(pubsub).listen(viewer.user_id, page, send) as listener:
        delivered = listener.delivered
        for published in await unread_popups(viewer, page, after):
            delivered.add(published.popup.message_id)
            yield published
        while True:
            try:
                item = await listener.next_item()
            except StopAsyncIteration:
                return
            if isinstance(item, Resync):
                for published in await unread_popups(viewer, page, after):
                    if published.popup.message_id not in delivered:
                        delivered.add(published.popup.message_id)
                        yield published
            elif item.popup.message_id not in delivered:
                delivered.add(item.popup.message_id)
                yield item
