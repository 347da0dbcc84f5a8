"""Subscription events that many connections receive alike are executed once per process.

A published pop-up reaches thousands of connections with the same selection set; executing that
selection set once per connection is most of the fan-out's cost. An event value that subclasses
`SharedEvent` declares that no field of it depends on who receives it (no viewer-dependent
resolver, no loader). For such a value, the first connection's execution result is kept on the
value itself, keyed by the operation and its variables, and every other connection with the same
operation and variables reuses it. Other values are executed per connection as usual.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SharedEvent:
    """Marker base for subscription event values whose result is the same for every receiver."""

    def shared_results(self) -> dict[tuple[str, str, str], tuple[Any, Any]]:
        results: dict[tuple[str, str, str], tuple[Any, Any]] | None = getattr(
            self, "_shared_results", None
        )
        if results is None:
            results = {}
            object.__setattr__(self, "_shared_results", results)
        return results


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
        return super().build(schema, document, root_value, context_value, *args, **kwargs)

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        if not isinstance(root, SharedEvent):
            return super().execute_operation(serially)
        variables = json.dumps(self.variable_values, sort_keys=True, default=str)
        # The document's text (with its fragments) and the operation's name identify what is
        # selected, whether or not the connections share one parsed document.
        location = self.operation.loc
        document = location.source.body if location is not None else str(id(self.operation))
        name = self.operation.name.value if self.operation.name else ""
        key = (document, name, variables)
        results = root.shared_results()
        if key in results:
            return results[key][1]
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            # Connections that arrive while the first one is still executing await the same task.
            result = asyncio.ensure_future(result)
        results[key] = (self.operation, result)
        return result
