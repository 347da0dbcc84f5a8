"""Subscription events that many connections receive alike are executed and encoded once.

A published pop-up reaches thousands of connections with the same selection set; executing that
selection set once per connection, and encoding its result once per connection, is most of the
fan-out's cost. An event value that subclasses `SharedEvent` declares that no field of it
depends on who receives it (no viewer-dependent resolver, no loader). For such a value:

- execution: the first connection's execution result is kept on the value itself, keyed by the
  operation and its variables, and every other connection with the same operation and variables
  reuses it (`SharedEventExecutionContext`);
- encoding: a subscription resolver that yields shared events may hand each one to a
  `SharedEventSender` instead of yielding it. The sender encodes the `next` payload once per
  (event, operation, variables) and writes the same text, behind the connection's own operation
  id, straight to the websocket (resolvers.platform.live_sessions.LiveOperation), skipping the
  per-connection execution, result processing and JSON encoding. The payload is exactly what the
  standard path sends: `{"data": ...}`. An event whose execution has errors is not sent by the
  sender (`send` returns False): the resolver yields it, and the standard path (error masking
  and codes) sends it.

Other values are executed per connection as usual.
"""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from typing import Any

from graphql.language import OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.platform.live_sessions import LiveOperation, current_live_operation

# The executor of the subscription being set up in this task (set in `build`, read by the
# subscription's resolver, which runs in the same operation task).
_subscription_executor: ContextVar[Any] = ContextVar("subscription_executor", default=None)

SharedKey = tuple[str, str, str]


class SharedEvent:
    """Marker base for subscription event values whose result is the same for every receiver."""

    def shared_results(self) -> dict[SharedKey, tuple[Any, Any]]:
        results: dict[SharedKey, tuple[Any, Any]] | None = getattr(self, "_shared_results", None)
        if results is None:
            results = {}
            object.__setattr__(self, "_shared_results", results)
        return results

    def shared_payloads(self) -> dict[SharedKey, str | None]:
        """Encoded `next` payloads by operation (None: its execution had errors)."""
        payloads: dict[SharedKey, str | None] | None = getattr(self, "_shared_payloads", None)
        if payloads is None:
            payloads = {}
            object.__setattr__(self, "_shared_payloads", payloads)
        return payloads


class SharedEventExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Executes a `SharedEvent` once per (operation, variables) and reuses the result."""

    @classmethod
    def build(  # type: ignore[override]
        cls,
        schema: Any,
        document: Any,
        root_value: Any = None,
        context_value: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Suggestions ("Did you mean ...?") in variable errors only for those who may see the
        schema (schema.extensions.hides_suggestions)."""
        from schema.platform.extensions import hides_suggestions

        if context_value is not None and hides_suggestions(context_value):
            kwargs["hide_suggestions"] = True
        executor = super().build(schema, document, root_value, context_value, *args, **kwargs)
        if (
            isinstance(executor, SharedEventExecutionContext)
            and executor.operation.operation is OperationType.SUBSCRIPTION
        ):
            _subscription_executor.set(executor)
        return executor

    def shared_key(self) -> SharedKey:
        """What identifies the result of a shared event: the document's text (with its
        fragments), the operation's name and the variables."""
        variables = json.dumps(self.variable_values, sort_keys=True, default=str)
        location = self.operation.loc
        document = location.source.body if location is not None else str(id(self.operation))
        name = self.operation.name.value if self.operation.name else ""
        return (document, name, variables)

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        if not isinstance(root, SharedEvent):
            return super().execute_operation(serially)
        key = self.shared_key()
        results = root.shared_results()
        if key in results:
            return results[key][1]
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            # Connections that arrive while the first one is still executing await the same task.
            result = asyncio.ensure_future(result)
        results[key] = (self.operation, result)
        return result


class SharedEventSender:
    """Sends the shared events of one subscription as pre-encoded `next` messages."""

    def __init__(self, executor: SharedEventExecutionContext, operation: LiveOperation) -> None:
        self._executor = executor
        self._operation = operation
        self._key = executor.shared_key()

    @classmethod
    def for_current_operation(cls) -> SharedEventSender | None:
        """The sender of the subscription this task runs, or None (not over our websocket
        handler, or not set up by our executor): then yield the events as usual."""
        executor = _subscription_executor.get()
        operation = current_live_operation()
        if executor is None or operation is None:
            return None
        return cls(executor, operation)

    async def send(self, event: SharedEvent) -> bool:
        """Send `event` to this subscription; False if it must be yielded instead."""
        payload = await self._payload(event)
        if payload is None:
            return False
        await self._operation.send_encoded_next(payload)
        return True

    async def _payload(self, event: SharedEvent) -> str | None:
        payloads = event.shared_payloads()
        if self._key in payloads:
            return payloads[self._key]
        result = self._executor.build_per_event_executor(event).execute_operation(False)
        if asyncio.isfuture(result) or self._executor.is_awaitable(result):
            result = await result
        payload = None if result.errors else json.dumps({"data": result.data})
        payloads[self._key] = payload
        return payload
