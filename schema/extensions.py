"""Schema extensions of ours: fresh DataLoaders per operation, introspection by role, masking."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.language import FieldNode, Visitor, visit
from starlette.requests import Request
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from resolvers.graphql_http import SERVICE_UNAVAILABLE_MESSAGE
from resolvers.loaders import Loaders
from services.database import is_database_unavailable


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


def may_introspect(context: Any) -> bool:
    """Whether this caller may see the schema (with INTROSPECTION=admins: vendor admins only)."""
    viewer = getattr(context, "viewer", None)
    return context.settings.introspection != "admins" or bool(viewer and viewer.is_vendor_admin)


def hides_suggestions(context: Any) -> bool:
    """ "Did you mean ...?" in errors names fields, arguments, types and enum values: the schema.
    Those who may not introspect get errors without them."""
    return not may_introspect(context)


@lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    all_rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, all_rules, hide_suggestions=hide_suggestions)


class ValidationCacheByRole(SchemaExtension):
    """Strawberry's validation (cached per document) with suggestions hidden from callers who
    may not introspect (see `hides_suggestions`); the cache key includes that choice."""

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        assert execution_context.graphql_document is not None
        execution_context.pre_execution_errors = _validate(
            execution_context.schema._schema,
            execution_context.graphql_document,
            execution_context.validation_rules,
            hides_suggestions(execution_context.context),
        )
        yield


class IntrospectionByRole(SchemaExtension):
    """With INTROSPECTION=admins, only vendor admins may introspect the schema."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if document is not None and not may_introspect(context):
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


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors become "Unexpected error." (INTERNAL_SERVER_ERROR); a lost database
    connection becomes SERVICE_UNAVAILABLE, which tells the client to try again."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if is_database_unavailable(error.original_error):
            return GraphQLError(
                SERVICE_UNAVAILABLE_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "SERVICE_UNAVAILABLE"},
            )
        return super().anonymise_error(error)
