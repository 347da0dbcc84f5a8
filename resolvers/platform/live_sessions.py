"""Websockets live no longer than their login session.

A graphql-transport-ws connection is authenticated once, in `connection_init`. This handler then
watches the session: when it is logged out (here or on another web process, announced through
pub/sub), expires, or its user is deactivated, or when the session it was derived from (act-as)
ends, the subscriptions stop and the socket closes with 4401 (logged out, expired) or 4403
(deactivated) and a reason. The watching is done for all connections of the process together
(resolvers/platform/session_watch.py).

Each operation runs with its `LiveOperation` in a context variable, so that a subscription's
resolver can send pre-encoded `next` messages itself (schema.platform.shared_events).
"""

from __future__ import annotations

import contextlib
import json
import logging
from contextvars import ContextVar
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.unset import UnsetType

from resolvers.platform.session_watch import Watched, session_watch
from resolvers.platform.trusted_documents import TrustedDocumentError, resolve_document
from services.platform.viewer import Viewer
from services.users.session_events import (
    CLOSE_FOR_END,
    SessionEnd,
)

log = logging.getLogger("channelport")


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

    watched: Watched | None = None

    async def handle_connection_init(self, message: Any) -> None:
        await self._connection_init(message)
        viewer: Viewer | None = getattr(self.context, "viewer", None)
        if self.connection_acknowledged and viewer is not None and self.watched is None:
            self.watched = await session_watch().watch(viewer, self._close_for_end)

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
            # Not kept for the life of the connection: the loop holds it until it has ended.
            self.connection_init_timeout_task.cancel()
            self.connection_init_timeout_task = None
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

    async def _close_for_end(self, ended: SessionEnd) -> None:
        """The session ended (the process's session watch says so): stop and close."""
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        code, reason = CLOSE_FOR_END[ended]
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=code, reason=reason)

    async def shutdown(self) -> None:
        if self.watched is not None:
            session_watch().unwatch(self.watched)
        await super().shutdown()
