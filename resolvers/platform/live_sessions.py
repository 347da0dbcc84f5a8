"""Websockets live no longer than their login session.

A graphql-transport-ws connection is authenticated once, in `connection_init`. This handler then
watches the session: when it is logged out (here or on another web process, announced through
pub/sub), expires, or its user is deactivated, or when the session it was derived from (act-as)
ends, the subscriptions stop and the socket closes with 4401 (logged out, expired) or 4403
(deactivated) and a reason.

Each operation runs with its `LiveOperation` in a context variable, so that a subscription's
resolver can send pre-encoded `next` messages itself (schema.platform.shared_events).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.unset import UnsetType

from resolvers.platform.trusted_documents import TrustedDocumentError, resolve_document
from services.platform.pubsub import RESYNC, SubscriberDropped, current_pubsub
from services.platform.viewer import Viewer
from services.users.auth import why_session_ended
from services.users.session_events import (
    CLOSE_FOR_END,
    SESSION_RECHECK_SECONDS,
    SESSIONS_ENDED_CHANNEL,
    SessionEnd,
)

log = logging.getLogger("channelport")


@contextlib.asynccontextmanager
async def _announcements() -> AsyncIterator[AsyncIterator[Any] | None]:
    pubsub = current_pubsub()
    if pubsub is None:
        yield None
        return
    async with pubsub.subscribe(SESSIONS_ENDED_CHANNEL) as subscription:
        yield subscription


def _seconds_until(moment: datetime | None) -> float:
    if moment is None:
        return SESSION_RECHECK_SECONDS
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


async def wait_for_session_end(viewer: Viewer) -> SessionEnd:
    """Return once the viewer's session has ended, with why."""
    own_sessions = {viewer.session_id, viewer.parent_session_id} - {None}
    while True:
        try:
            async with _announcements() as announcements:
                # Subscribed first, then checked: nothing can end in between unnoticed.
                while (ended := await why_session_ended(viewer)) is None:
                    wait = min(SESSION_RECHECK_SECONDS, _seconds_until(viewer.session_expires_at))
                    if announcements is None:
                        await asyncio.sleep(wait)
                        continue
                    with contextlib.suppress(TimeoutError):
                        item = await asyncio.wait_for(anext(announcements), timeout=wait)
                        if item is not RESYNC and not own_sessions & set(item["sessions"]):
                            continue  # another session's end: nothing to check
                return ended
        except SubscriberDropped:
            continue  # fell behind: subscribe again, and check the database first


class LiveOperation:
    """One running operation of a websocket, for sending already encoded `next` messages."""

    __slots__ = ("_operation", "_prefix", "_send_text")

    def __init__(self, operation: Operation[Any, Any], send_text: Any) -> None:
        self._operation = operation
        self._prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'
        self._send_text = send_text

    async def send_encoded_next(self, payload: str) -> None:
        """Send `{"id": <this operation>, "type": "next", "payload": <payload>}` (`payload`
        is JSON text), unless the operation has completed."""
        if self._operation.completed:
            return
        try:
            await self._send_text(self._prefix + payload + "}")
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


_live_operation: ContextVar[LiveOperation | None] = ContextVar("live_operation", default=None)


def current_live_operation() -> LiveOperation | None:
    """The websocket operation this task runs, or None outside one."""
    return _live_operation.get()


class SessionBoundTransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, closing the socket when the connection's session ends."""

    session_watch: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: Any) -> None:
        await self._connection_init(message)
        viewer: Viewer | None = getattr(self.context, "viewer", None)
        if self.connection_acknowledged and viewer is not None and self.session_watch is None:
            self.session_watch = asyncio.create_task(self._close_when_session_ends(viewer))

    async def handle_subscribe(self, message: Any) -> None:
        """Subscribe with the document a hash names (the trusted-documents rules), or refuse it."""
        payload = message.get("payload")
        if not isinstance(payload, dict):
            await self.handle_invalid_message("A subscribe message needs a payload object.")
            return
        if self.connection_acknowledged:
            try:
                query = resolve_document(
                    getattr(self.view, "trusted_documents", None),
                    payload.get("query"),
                    payload.get("extensions"),
                    payload.get("documentId"),
                )
            except TrustedDocumentError as error:
                refusal = {"id": message["id"], "type": "error"}
                await self.send_message({**refusal, "payload": [error.as_graphql_error()]})
                return
            if not isinstance(query, str):
                await self.handle_invalid_message("A subscribe payload needs a query string.")
                return
            message = {**message, "payload": {**payload, "query": query}}
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        send_text = getattr(getattr(self.websocket, "ws", None), "send_text", None)
        if send_text is not None:
            _live_operation.set(LiveOperation(operation, send_text))
        await super().run_operation(operation)

    async def _connection_init(self, message: Any) -> None:
        """Strawberry's connection_init, but a refused connection closes with 4403 and the reason
        the view gave (starting with its code: UNAUTHENTICATED, INVALID_TOKEN, TOKEN_EXPIRED)
        instead of a bare "Forbidden"."""
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload", {})
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        try:
            ack_payload = await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as rejection:
            reason = rejection.payload.get("reason") or "Forbidden"
            await self.websocket.close(code=4403, reason=str(reason)[:120])
            return
        if isinstance(ack_payload, UnsetType):
            await self.send_message({"type": "connection_ack"})
        else:
            await self.send_message({"type": "connection_ack", "payload": ack_payload})
        self.connection_acknowledged = True

    async def _close_when_session_ends(self, viewer: Viewer) -> None:
        while True:
            try:
                ended = await wait_for_session_end(viewer)
                break
            except Exception:  # the database is down: try again later, the socket stays open
                log.warning("session watch of a websocket failed", exc_info=True)
                await asyncio.sleep(SESSION_RECHECK_SECONDS)
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        code, reason = CLOSE_FOR_END[ended]
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=code, reason=reason)

    async def shutdown(self) -> None:
        if self.session_watch is not None and self.session_watch is not asyncio.current_task():
            self.session_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.session_watch
        await super().shutdown()
