"""Process-to-process pub/sub: broadcaster (memory or Redis) behind a small, safe wrapper.

broadcaster 0.3.1 gives every subscriber an unbounded queue and its Redis backend never
reconnects (a subscriber hangs silently once Redis drops). This wrapper fixes both:

- one broadcaster subscription per channel and process feeds our own **bounded** queue per
  subscriber; a subscriber whose queue is full (a slow client) is dropped, never buffered;
- a payload is JSON-encoded **once** per publish and decoded once per process, and the same
  decoded dict is handed to every local subscriber (treat it as read-only);
- with Redis, a monitor task pings the server, notices a lost connection, a restarted server
  (its run id changed) or a dead listener, rebuilds the broadcaster connection, subscribes every
  channel again and then sends `RESYNC` to every subscriber, because whatever was published in
  between is lost: a subscriber that receives `RESYNC` reloads its state from the database.

Usage (the whole public surface)::

    pubsub = PubSub(settings.broadcast_url)          # app.state.pubsub in the web process
    await pubsub.connect()
    delivered = await pubsub.publish("popups", {"id": 12})   # False if the backend is down
    async with pubsub.subscribe("popups") as subscription:
        async for item in subscription:              # SubscriberDropped if it fell behind
            if item is RESYNC:
                ...  # reload from the database
            else:
                ...  # item is the published dict
    await pubsub.is_reachable()                      # readiness
    current_pubsub()                                 # this process's connected PubSub, or None

Publishing never raises for a backend outage (it logs and returns False): the database is the
source of truth and subscribers re-sync from it after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import redis.asyncio as redis_asyncio
from broadcaster import Broadcast, BroadcastBackend, Event
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger("channelport.pubsub")

DEFAULT_QUEUE_SIZE = 256
DEFAULT_HEALTH_INTERVAL_SECONDS = 1.0
PUBLISH_TIMEOUT_SECONDS = 2.0
_SUBSCRIBE_TIMEOUT_SECONDS = 3.0


class Resync:
    """The marker a subscriber receives after a reconnect: reload your state from the database."""

    _instance: Resync | None = None

    def __new__(cls) -> Resync:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = Resync()


class SubscriberDropped(Exception):
    """The subscriber fell behind (its bounded queue was full) and was dropped."""


class _Closed:
    pass


_CLOSED: Final = _Closed()

Item = dict[str, Any] | Resync


class Subscription:
    """One subscriber's bounded queue of payloads and re-sync markers, iterated with `async for`."""

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[Item | _Closed] = asyncio.Queue(queue_size)
        self.dropped = False

    def _offer(self, item: Item) -> bool:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def _close(self, *, dropped: bool) -> None:
        self.dropped = dropped
        while not self._queue.empty():  # free the memory now, the reader only needs the end
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Item:
        item = await self._queue.get()
        if isinstance(item, _Closed):
            self._queue.put_nowait(item)  # iterating again ends again
            if self.dropped:
                raise SubscriberDropped(f"subscriber of {self.channel!r} fell behind")
            raise StopAsyncIteration
        return item


class _RedisBackend(BroadcastBackend):
    """broadcaster's Redis backend, made to fail loudly instead of hanging.

    broadcaster 0.3.1's own backend stops listening for good when its listener starts before the
    first SUBSCRIBE has completed, and redis-py would silently reconnect (losing messages without
    anyone knowing). Here a connection error ends the listener, which the monitor notices.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._listener: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._conn = redis_asyncio.from_url(
            self._url, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        self._pubsub = self._conn.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.connect()
        self._listener = asyncio.create_task(self._listen(), name="pubsub-redis-listener")

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._conn.aclose()

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._conn.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _listen(self) -> None:
        while True:
            message = await self._pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "message":
                channel, data = message["channel"], message["data"]
                self._queue.put_nowait(
                    Event(
                        channel=channel.decode() if isinstance(channel, bytes) else channel,
                        message=data.decode() if isinstance(data, bytes) else data,
                    )
                )


class PubSub:
    """The broadcaster connection of this process, with bounded fan-out and Redis recovery."""

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        health_interval: float = DEFAULT_HEALTH_INTERVAL_SECONDS,
    ) -> None:
        self.url = url
        self.queue_size = queue_size
        self.health_interval = health_interval
        self.broadcast: Broadcast | None = None
        self._subscribers: dict[str, set[Subscription]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self._pump_ready: dict[str, asyncio.Event] = {}
        self._monitor: asyncio.Task[None] | None = None
        self._monitor_client: redis_asyncio.Redis | None = None
        self._server_run_id: str | None = None
        self._lock = asyncio.Lock()
        self.healthy = False
        # Counters, for logs, tests and benchmarks.
        self.reconnects = 0
        self.dropped_subscribers = 0

    @property
    def uses_redis(self) -> bool:
        return self.url.startswith(("redis://", "rediss://"))

    # ---- lifecycle -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect the backend. A Redis that is down now is retried by the monitor."""
        global _current
        if self.uses_redis:
            self._monitor_client = redis_asyncio.from_url(
                self.url, socket_connect_timeout=1, socket_timeout=1
            )
            try:
                await self._open_broadcast()
                self._server_run_id = await self._run_id()
            except Exception:
                log.warning("pubsub: Redis is not reachable at start-up, will retry")
                self.healthy = False
            self._monitor = asyncio.create_task(self._monitor_loop(), name="pubsub-monitor")
        else:
            await self._open_broadcast()
        if _current is None:
            _current = self

    async def disconnect(self) -> None:
        global _current
        if _current is self:
            _current = None
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(BaseException):
                await self._monitor
        for subscriptions in self._subscribers.values():
            for subscription in subscriptions:
                subscription._close(dropped=False)
        await self._close_broadcast()
        if self._monitor_client is not None:
            with contextlib.suppress(Exception):
                await self._monitor_client.aclose()

    async def _open_broadcast(self) -> None:
        broadcast = (
            Broadcast(backend=_RedisBackend(self.url)) if self.uses_redis else Broadcast(self.url)
        )
        try:
            await asyncio.wait_for(broadcast.connect(), _SUBSCRIBE_TIMEOUT_SECONDS)
        except BaseException:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(broadcast.disconnect(), 1)
            raise
        self.broadcast = broadcast
        for channel in list(self._subscribers):
            self._start_pump(channel)
        for channel in list(self._subscribers):
            ready, pump = self._pump_ready.get(channel), self._pumps.get(channel)
            if ready is None or pump is None:  # its last subscriber left meanwhile
                continue
            await asyncio.wait_for(ready.wait(), _SUBSCRIBE_TIMEOUT_SECONDS)
            if pump.done():
                raise ConnectionError(f"could not subscribe to {channel!r}")
        self.healthy = True

    async def _close_broadcast(self) -> None:
        pumps = list(self._pumps.values())
        self._pumps.clear()
        self._pump_ready.clear()
        for pump in pumps:
            pump.cancel()
        for pump in pumps:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(pump, 1)
        broadcast, self.broadcast = self.broadcast, None
        if broadcast is not None:
            # A dead listener re-raises its error here, a dead Redis may hang: neither matters.
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(broadcast.disconnect(), 1)

    # ---- publishing ----------------------------------------------------------------------

    async def publish(self, channel: str, payload: dict[str, Any]) -> bool:
        """Publish `payload` (JSON-encoded once) on `channel`; False if the backend is down."""
        message = json.dumps(payload, separators=(",", ":"), default=str)
        broadcast = self.broadcast
        if broadcast is None:
            log.warning("pubsub: not connected, %r not published", channel)
            return False
        try:
            await asyncio.wait_for(broadcast.publish(channel, message), PUBLISH_TIMEOUT_SECONDS)
        except (redis_asyncio.RedisError, OSError, TimeoutError) as error:
            log.warning("pubsub: publishing on %r failed: %s", channel, error)
            return False
        return True

    # ---- subscribing ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """A bounded subscription to `channel`, live once the context is entered."""
        subscription = Subscription(channel, self.queue_size)
        subscriptions = self._subscribers.setdefault(channel, set())
        subscriptions.add(subscription)
        if channel not in self._pumps and self.broadcast is not None:
            self._start_pump(channel)
        ready = self._pump_ready.get(channel)
        if ready is not None:
            # Wait until the backend subscription is active, so nothing published from now on
            # is missed. If it fails, the monitor reconnects and sends RESYNC.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), _SUBSCRIBE_TIMEOUT_SECONDS)
        try:
            yield subscription
        finally:
            subscriptions.discard(subscription)
            if not subscriptions and self._subscribers.get(channel) is subscriptions:
                del self._subscribers[channel]
                pump = self._pumps.pop(channel, None)
                self._pump_ready.pop(channel, None)
                if pump is not None:
                    pump.cancel()

    def subscriber_count(self, channel: str | None = None) -> int:
        if channel is not None:
            return len(self._subscribers.get(channel, ()))
        return sum(len(subs) for subs in self._subscribers.values())

    def _start_pump(self, channel: str) -> None:
        assert self.broadcast is not None
        ready = asyncio.Event()
        self._pump_ready[channel] = ready
        self._pumps[channel] = asyncio.create_task(
            self._pump(self.broadcast, channel, ready), name=f"pubsub-pump:{channel}"
        )

    async def _pump(self, broadcast: Broadcast, channel: str, ready: asyncio.Event) -> None:
        """Move one channel's events from broadcaster to the bounded subscriber queues."""
        try:
            async with broadcast.subscribe(channel) as source:
                ready.set()
                async for event in source:  # type: ignore[union-attr]
                    if event is None:
                        return
                    try:
                        payload = json.loads(event.message)
                    except ValueError:
                        log.warning("pubsub: ignoring a malformed message on %r", channel)
                        continue
                    self._fan_out(channel, payload)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("pubsub: subscription to %r lost: %s", channel, error)
        finally:
            ready.set()

    def _fan_out(self, channel: str, item: Item) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            if not subscription._offer(item):
                self._drop(subscription)

    def _drop(self, subscription: Subscription) -> None:
        self._subscribers.get(subscription.channel, set()).discard(subscription)
        subscription._close(dropped=True)
        self.dropped_subscribers += 1
        log.warning("pubsub: dropped a slow subscriber of %r", subscription.channel)

    # ---- health and recovery (Redis) -----------------------------------------------------

    async def _run_id(self) -> str:
        assert self._monitor_client is not None
        info = await self._monitor_client.info("server")
        return str(info.get("run_id", ""))

    def _listener_is_dead(self) -> bool:
        broadcast = self.broadcast
        if broadcast is None:
            return True
        tasks = [getattr(broadcast, "_listener_task", None)]
        tasks.append(getattr(getattr(broadcast, "_backend", None), "_listener", None))
        if any(task is not None and task.done() for task in tasks):
            return True
        return any(pump.done() for pump in self._pumps.values())

    async def _monitor_loop(self) -> None:
        while True:
            await asyncio.sleep(self.health_interval)
            try:
                await self._check_and_recover()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pubsub: health check failed")

    async def _check_and_recover(self) -> None:
        try:
            run_id = await self._run_id()
        except (redis_asyncio.RedisError, OSError):
            if self.healthy:
                log.warning("pubsub: lost the connection to Redis")
            self.healthy = False
            return
        restarted = self._server_run_id is not None and run_id != self._server_run_id
        if self.healthy and not restarted and not self._listener_is_dead():
            return
        async with self._lock:
            log.warning("pubsub: reconnecting to Redis and subscribing again")
            self.healthy = False
            await self._close_broadcast()
            try:
                await self._open_broadcast()
            except Exception as error:
                log.warning("pubsub: reconnect failed, will retry: %s", error)
                await self._close_broadcast()
                self.healthy = False
                return
            self._server_run_id = run_id
            self.reconnects += 1
        # Whatever was published while we were away is lost: tell everyone to re-sync.
        for channel in list(self._subscribers):
            self._fan_out(channel, RESYNC)
        log.warning("pubsub: reconnected, subscribers told to re-sync")

    async def is_reachable(self) -> bool:
        """Readiness: the backend answers (and, once connected, our subscriptions are live)."""
        if not self.uses_redis:
            return True
        client = redis_asyncio.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
        try:
            reachable = bool(await client.ping())
        except (redis_asyncio.RedisError, OSError):
            return False
        finally:
            await client.aclose()
        return reachable and (self._monitor is None or self.healthy)


_current: PubSub | None = None


def current_pubsub() -> PubSub | None:
    """The first connected PubSub of this process (the web app's), or None outside the app."""
    return _current
