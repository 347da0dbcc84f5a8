"""One watch per process over the login sessions of its open websockets.

A websocket lives no longer than its session (resolvers/platform/live_sessions.py). Instead of a
task, a pub/sub subscription and a database query every SESSION_RECHECK_SECONDS per connection,
the connections of a process register here (`SessionWatch.watch`) and one task:

- listens on SESSIONS_ENDED_CHANNEL: a logout or deactivation announced by any web process is
  checked against the database for the connections of those sessions;
- every SESSION_RECHECK_SECONDS, and after a pub/sub reconnect (`RESYNC`: announcements may have
  been lost), checks every watched session in a few queries (`sessions_ended`);
- a connection whose session expires is checked at that moment (a timer per connection, no
  task).

A connection whose session ended gets `on_end(reason)` called, once, in a task of its own. A
connection is checked as soon as it registers too: the subscription is live by then, so an end
in between is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from services.platform.pubsub import RESYNC, SubscriberDropped, current_pubsub
from services.platform.viewer import Viewer
from services.users.auth import sessions_ended, why_viewer_session_ended
from services.users.session_events import (
    SESSION_RECHECK_SECONDS,
    SESSIONS_ENDED_CHANNEL,
    SessionEnd,
)

log = logging.getLogger("channelport")

OnEnd = Callable[[SessionEnd], Awaitable[None]]
# An expiry is checked this long after the moment (timers may fire a little early).
_EXPIRY_MARGIN = 0.05


class Watched:
    """One connection's session(s) and what to do when it ends."""

    __slots__ = ("__weakref__", "ended", "on_end", "sessions", "timer", "viewer")

    def __init__(self, viewer: Viewer, on_end: OnEnd) -> None:
        self.viewer = viewer
        self.on_end = on_end
        self.sessions = tuple(s for s in (viewer.session_id, viewer.parent_session_id) if s)
        self.ended = False
        self.timer: asyncio.TimerHandle | None = None


@contextlib.asynccontextmanager
async def _announcements() -> AsyncIterator[Any]:
    pubsub = current_pubsub()
    if pubsub is None:
        yield None
        return
    async with pubsub.subscribe(SESSIONS_ENDED_CHANNEL) as subscription:
        yield subscription


class SessionWatch:
    """The watched connections of one event loop (one web process), and the task watching."""

    def __init__(self) -> None:
        self._by_session: dict[str, set[Watched]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def watch(self, viewer: Viewer, on_end: OnEnd) -> Watched:
        """Watch `viewer`'s session from now on (`unwatch` when the connection closes)."""
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="session-watch")
        await self._ready.wait()
        watched = Watched(viewer, on_end)
        for session_id in watched.sessions:
            self._by_session.setdefault(session_id, set()).add(watched)
        self._arm_expiry(watched)
        self._check_soon([watched])  # subscribed first, then checked
        return watched

    def _arm_expiry(self, watched: Watched) -> None:
        expires_at = watched.viewer.session_expires_at
        if expires_at is None or watched.ended:
            return
        delay = max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + _EXPIRY_MARGIN
        watched.timer = asyncio.get_running_loop().call_later(delay, self._expiry_due, watched)

    def _expiry_due(self, watched: Watched) -> None:
        task = asyncio.ensure_future(self._check_expired(watched))
        task.add_done_callback(_log_failure)

    async def _check_expired(self, watched: Watched) -> None:
        await self._check([watched])
        expires_at = watched.viewer.session_expires_at
        if not watched.ended and expires_at is not None and expires_at > datetime.now(UTC):
            self._arm_expiry(watched)  # woken a little early: once more at the moment

    def unwatch(self, watched: Watched) -> None:
        watched.ended = True
        if watched.timer is not None:
            watched.timer.cancel()
        for session_id in watched.sessions:
            connections = self._by_session.get(session_id)
            if connections is not None:
                connections.discard(watched)
                if not connections:
                    del self._by_session[session_id]

    def _check_soon(self, connections: list[Watched]) -> None:
        task = asyncio.ensure_future(self._check(connections))
        task.add_done_callback(_log_failure)

    async def _check(self, connections: list[Watched]) -> None:
        live = [watched for watched in connections if not watched.ended]
        if not live:
            return
        session_ids = sorted({s for watched in live for s in watched.sessions})
        ended = await sessions_ended(session_ids)
        for watched in live:
            reason = why_viewer_session_ended(watched.viewer, ended)
            if reason is not None and not watched.ended:
                self.unwatch(watched)
                task = asyncio.ensure_future(watched.on_end(reason))
                task.add_done_callback(_log_failure)

    def _all(self) -> list[Watched]:
        return list({w for connections in self._by_session.values() for w in connections})

    async def _run(self) -> None:
        while True:
            try:
                async with _announcements() as announcements:
                    self._ready.set()
                    await self._check(self._all())
                    await self._listen(announcements)
            except SubscriberDropped:
                continue  # fell behind: subscribe again, and check everyone first
            except StopAsyncIteration:
                return  # the pub/sub closed: the process is stopping
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is down: try again later, the sockets stay open
                log.warning("session watch failed", exc_info=True)
                self._ready.set()
                await asyncio.sleep(SESSION_RECHECK_SECONDS)

    async def _listen(self, announcements: Any) -> None:
        loop = asyncio.get_running_loop()
        next_full_check = loop.time() + SESSION_RECHECK_SECONDS
        while True:
            wait = max(0.0, next_full_check - loop.time())
            item = None
            if announcements is None:
                await asyncio.sleep(wait)
            else:
                with contextlib.suppress(TimeoutError):
                    item = await asyncio.wait_for(anext(announcements), timeout=wait)
            if item is None or item is RESYNC:
                await self._check(self._all())
                next_full_check = loop.time() + SESSION_RECHECK_SECONDS
                continue
            named = {w for s in item.get("sessions", ()) for w in self._by_session.get(s, ())}
            await self._check(list(named))


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("session check failed", exc_info=task.exception())


_WATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SessionWatch] = (
    weakref.WeakKeyDictionary()
)


def session_watch() -> SessionWatch:
    """The session watch of the running event loop (one per web process)."""
    loop = asyncio.get_running_loop()
    watch = _WATCHES.get(loop)
    if watch is None:
        watch = _WATCHES[loop] = SessionWatch()
    return watch
