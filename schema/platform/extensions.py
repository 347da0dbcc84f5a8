"""Schema extensions of ours: fresh DataLoaders per operation, introspection and suggestions by
role, masking, and a safety net refusing control characters in any string argument."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    validate,
)
from graphql.language import FieldNode, Visitor, visit
from starlette.requests import Request
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from resolvers.platform.graphql_http import SERVICE_UNAVAILABLE_MESSAGE
from resolvers.platform.loaders import Loaders
from resolvers.platform.permissions import PublicError
from schema.platform.common import ErrorCode, FieldError, OperationErrors
from services.platform.database import is_database_unavailable
from services.platform.errors import ErrorCode as ServiceErrorCode
from services.platform.validation import forbidden_character_problem


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
def cached_validation(
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
        execution_context.pre_execution_errors = cached_validation(
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


_UNCHECKED_FIELDS = frozenset({"login"})
_UNCHECKED_NAMES = frozenset({"password"})


def _character_problems(value: Any, kind: GraphQLInputType, path: str) -> Iterator[tuple[str, str]]:
    """(GraphQL path, problem) for every string inside an argument value with bad characters."""
    if value is None:
        return
    if isinstance(kind, GraphQLNonNull):
        yield from _character_problems(value, kind.of_type, path)
    elif isinstance(kind, GraphQLList):
        for index, item in enumerate(value):
            yield from _character_problems(item, kind.of_type, f"{path}[{index}]")
    elif isinstance(kind, GraphQLInputObjectType):
        for name, field in kind.fields.items():
            key = field.out_name or name
            if key in value and name not in _UNCHECKED_NAMES:
                # The fields of an `input` argument are named on their own, as the services do.
                inner = name if path == "input" else f"{path}.{name}"
                yield from _character_problems(value[key], field.type, inner)
    elif isinstance(value, str):
        problem = forbidden_character_problem(value)
        if problem:
            yield path, problem
    elif isinstance(value, dict | list):  # JSON arguments: every string inside
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and forbidden_character_problem(key):
                yield path, forbidden_character_problem(key) or ""
            yield from _character_problems(item, kind, f"{path}.{key}")


class RefuseControlCharacters(SchemaExtension):
    """Safety net under the services' validation (services/validation.py): no string argument
    of a query or mutation may contain control characters, bidi overrides or lone surrogates.

    Not `login`, whose failure with any input is a failed login (INVALID_CREDENTIALS), nor a
    password anywhere: passwords are hashed, never stored or shown, and may hold any character.

    A mutation that can answer OperationErrors gets them (code INVALID, the argument's path);
    anything else a GraphQL error with code INVALID. The resolver does not run: nothing is
    written. Field semantics (one line, length, email syntax) stay with the services."""

    # Acts on root fields only: execution plans may read nested plain fields without it.
    resolves_root_fields_only = True

    def resolve(
        self, _next: Any, root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is None and kwargs and info.field_name not in _UNCHECKED_FIELDS:
            field = info.parent_type.fields[info.field_name]
            problems = [
                problem
                for name, argument in field.args.items()
                if (argument.out_name or name) in kwargs and name not in _UNCHECKED_NAMES
                for problem in _character_problems(
                    kwargs[argument.out_name or name], argument.type, name
                )
            ]
            if problems:
                return _refusal(info, problems)
        return _next(root, info, *args, **kwargs)


def _refusal(info: GraphQLResolveInfo, problems: list[tuple[str, str]]) -> OperationErrors:
    result_type = get_named_type(info.return_type)
    if isinstance(result_type, GraphQLUnionType) and any(
        member.name == "OperationErrors" for member in result_type.types
    ):
        return OperationErrors(
            errors=[
                FieldError(field=path, message=message, code=ErrorCode.INVALID)
                for path, message in problems
            ]
        )
    path, message = problems[0]
    raise PublicError(
        f"{path}: {message}", extensions={"code": ServiceErrorCode.INVALID.name, "field": path}
    )
