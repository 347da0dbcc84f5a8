"""The live pop-up subscribers of one process, fed by one pub/sub subscription.

Every `popups` subscription of a process registers a `PopupListener` here (its user, page, what
it has delivered, and optionally a `send` function that writes a pop-up to its connection). One
task per process (per `PubSub`) reads `POPUP_CHANNEL` and, for each published pop-up, finds the
listeners of its recipients (the smaller of the two sets is walked) that show it on their page:

- a listener that is *live* (its stream has caught up with the database and is parked) and has a
  `send` function gets the pop-up sent from the hub's task, one connection after the other, the
  way a plain broadcast would: no task of the connection wakes up, no per-connection queue;
- any other listener (still replaying unread pop-ups, re-syncing, or without `send`) gets it in
  its pending list, and its stream yields it in order.

A send that does not complete within `SEND_TIMEOUT_SECONDS` (a client that stopped reading
until its socket buffer filled) or a pending list longer than the pub/sub queue size drops the
listener (`SubscriberDropped` in its stream), instead of holding up everyone else or buffering
without bound. `RESYNC` (after a pub/sub reconnect) is handed to every listener, which then
reads the database again (services/messaging/popup_stream.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from services.messaging.centre import PublishedPopup, ReceivedPopup, shows_on
from services.messaging.delivery import POPUP_CHANNEL
from services.platform.pubsub import RESYNC, PubSub, Resync, SubscriberDropped

log = logging.getLogger("channelport.messaging")

SEND_TIMEOUT_SECONDS = 1.0

# Writes one pop-up to a listener's connection; False: it could not be sent this way (the
# stream yields it instead).
SendPopup = Callable[[PublishedPopup], Awaitable[bool]]

_PUBLICATIONS: OrderedDict[str, tuple[frozenset[int], PublishedPopup]] = OrderedDict()
_PUBLICATIONS_KEPT = 64


def publication(payload: dict[str, Any]) -> tuple[frozenset[int], PublishedPopup]:
    """Who may see a published pop-up, and the pop-up as each of them receives it (unread):
    decoded once per process and publication."""
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


class PopupListener:
    """One `popups` subscription, as the hub sees it."""

    __slots__ = (
        "_limit",
        "_waiter",
        "delivered",
        "dropped",
        "ended",
        "live",
        "page",
        "pending",
        "send",
        "user_id",
    )

    def __init__(self, user_id: int, page: str | None, send: SendPopup | None, limit: int) -> None:
        self.user_id = user_id
        self.page = page
        self.send = send
        self.delivered: set[int] = set()
        self.pending: list[PublishedPopup | Resync] = []
        self.live = False  # caught up and parked: the hub may send to it directly
        self.ended = False
        self.dropped = False
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, item: PublishedPopup | Resync) -> None:
        """Hand an item to the stream (it leaves the live state until it has handled it)."""
        if self.ended:
            return
        if len(self.pending) >= self._limit:
            self.end(dropped=True)
            return
        self.live = False
        self.pending.append(item)
        self._wake()

    def end(self, *, dropped: bool) -> None:
        self.ended = True
        self.dropped = self.dropped or dropped
        self.live = False
        self.pending.clear()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next_item(self) -> PublishedPopup | Resync:
        """The next pending item; parks (live) while there is none. Ends like a pub/sub
        subscription: StopAsyncIteration, or SubscriberDropped when it fell behind."""
        while not self.pending:
            if self.ended:
                if self.dropped:
                    raise SubscriberDropped("pop-up subscriber fell behind")
                raise StopAsyncIteration
            self.live = True
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.pending.pop(0)


class PopupHub:
    """The listeners of one process (one `PubSub`) and the task that feeds them."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self._listeners: dict[int, set[PopupListener]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @contextlib.asynccontextmanager
    async def listen(
        self, user_id: int, page: str | None, send: SendPopup | None = None
    ) -> AsyncIterator[PopupListener]:
        """A listener, registered once the hub's pub/sub subscription is live (so that nothing
        published from then on is missed), removed at the end."""
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._feed(), name="popup-hub")
        await self._ready.wait()
        listener = PopupListener(user_id, page, send, self._pubsub.queue_size)
        if self._task.done():  # the subscription ended meanwhile: an ended stream
            listener.end(dropped=False)
        self._listeners.setdefault(user_id, set()).add(listener)
        try:
            yield listener
        finally:
            listeners = self._listeners.get(user_id)
            if listeners is not None and listener in listeners:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[user_id]

    async def _feed(self) -> None:
        dropped = False
        try:
            async with self._pubsub.subscribe(POPUP_CHANNEL) as subscription:
                self._ready.set()
                async for item in subscription:
                    if isinstance(item, Resync):
                        for listener in self._all():
                            listener.offer(RESYNC)
                    elif item.get("type") == "published":
                        await self._dispatch(item)
        except SubscriberDropped:
            dropped = True  # the hub itself fell behind: every stream re-syncs on resubscribe
            log.warning("pop-up hub fell behind its pub/sub subscription")
        finally:
            self._ready.set()
            for listener in self._all():
                listener.end(dropped=dropped)

    def _all(self) -> list[PopupListener]:
        return [listener for listeners in self._listeners.values() for listener in listeners]

    async def _dispatch(self, payload: dict[str, Any]) -> None:
        recipients, published = publication(payload)
        if len(recipients) < len(self._listeners):
            found = [self._listeners.get(user_id) for user_id in recipients]
        else:
            found = [ls for user_id, ls in self._listeners.items() if user_id in recipients]
        message_id = published.popup.message_id
        pages = published.popup.pages
        for listeners in found:
            for listener in list(listeners or ()):
                if message_id in listener.delivered or not shows_on(pages, listener.page):
                    continue
                if listener.live and listener.send is not None:
                    await self._send(listener, published)
                else:
                    listener.offer(published)

    async def _send(self, listener: PopupListener, published: PublishedPopup) -> None:
        assert listener.send is not None
        listener.delivered.add(published.popup.message_id)
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                sent = await listener.send(published)
        except TimeoutError:
            log.warning("pop-up hub: dropped a connection that does not read")
            listener.end(dropped=True)
            return
        except Exception:  # the connection is gone: its operation ends on its own
            listener.end(dropped=False)
            return
        if not sent:  # the stream yields it instead
            listener.delivered.discard(published.popup.message_id)
            listener.offer(published)


_HUBS: weakref.WeakKeyDictionary[PubSub, PopupHub] = weakref.WeakKeyDictionary()


def popup_hub(pubsub: PubSub) -> PopupHub:
    """The hub of this `PubSub` (one per process in the web app)."""
    hub = _HUBS.get(pubsub)
    if hub is None:
        hub = _HUBS[pubsub] = PopupHub(pubsub)
    return hub
