"""Schema extensions of ours: fresh DataLoaders per operation, introspection by role."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from graphql.language import FieldNode, Visitor, visit
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.loaders import Loaders


class FreshLoaders(SchemaExtension):
    """Give every operation its own DataLoaders (a websocket context outlives operations)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        context.loaders = Loaders(context.viewer)
        yield


class _IntrospectionFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_args: object) -> None:
        if node.name.value in ("__schema", "__type"):
            self.found = True


class IntrospectionByRole(SchemaExtension):
    """With INTROSPECTION=admins, only vendor admins may introspect the schema."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if (
            context.settings.introspection == "admins"
            and document is not None
            and not (context.viewer and context.viewer.is_vendor_admin)
        ):
            finder = _IntrospectionFinder()
            visit(document, finder)
            if finder.found:
                self.execution_context.pre_execution_errors = [
                    GraphQLError(
                        "Introspection is only available to vendor admins.",
                        extensions={"code": "FORBIDDEN"},
                    )
                ]
        yield


class SubscriptionsOverWebsocketOnly(SchemaExtension):
    """A subscription sent over plain HTTP gets a clear error instead of an empty result."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context.request, Request)
            and self.execution_context.graphql_document is not None
            and self.execution_context.operation_type is OperationType.SUBSCRIPTION
        ):
            self.execution_context.pre_execution_errors = [
                GraphQLError(
                    "Subscriptions run over the websocket (graphql-transport-ws) at /graphql.",
                    extensions={"code": "INVALID"},
                )
            ]
        yield
