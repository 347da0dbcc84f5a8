"""Execution plans: a validated query compiled once into the steps that complete its fields.

graphql-core completes every field of every object through its general machinery: it collects
the selection set again for each object's type, builds a `GraphQLResolveInfo`, runs the field
through the middleware and the resolver wrapper, and walks `complete_value`'s chain of type
checks. For a list of fifty partners that is over a thousand fields per request, most of them
plain attributes of an object already in memory.

A plan does that work once per operation: for each object type in the selection, the fields to
complete (collected by graphql-core's own `collect_fields`, so merging, fragments and
`@skip`/`@include` are its), and for each field how to complete its type. A field without a
resolver of its own (Strawberry's "basic" field: an attribute of the source object) is read
straight from the object; a nested field may call its resolver directly or have a batched form
(`direct_resolvers`, `batched_fields`); every other field is resolved as graphql-core does
(`schema.platform.planned_execution`). An object type with `is_type_of` (a type implementing
an interface such as Node) is checked as graphql-core checks it, then completed on its plan.
Plans are kept per operation document, like the parser and validation caches, and per value of
the variables that `@skip`/`@include` read.

What a plan cannot express (deferred or streamed fields, fragment arguments, a selection that
fails to collect) makes `plan_for` answer None: the operation runs on the standard executor.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.executor import invalid_return_type_error
from graphql.language import DirectiveNode, FieldNode, OperationDefinitionNode, Visitor, visit
from graphql.type.scalars import serialize_id, serialize_string

from schema.platform.batched_fields import BatchedField, batched_form
from schema.platform.direct_resolvers import DirectCall, direct_call

if TYPE_CHECKING:
    from schema.platform.planned_execution import PlannedExecution

PLAN_CACHE_SIZE = 256
# graphql-core's output coercions that return a `str` value unchanged.
STR_AS_IS = (serialize_string, serialize_id)
STRAWBERRY_FIELD = "strawberry-definition"

# complete(executor, value, path) -> completed value, or an awaitable of it; raises like
# graphql-core's `complete_value` (the caller turns the exception into a field error).
Completer = Callable[["PlannedExecution", Any, Any], Any]


class Unplannable(Exception):
    """The operation uses something plans do not cover: run it on the standard executor."""


@dataclass(eq=False, slots=True)
class FieldStep:
    """One response key of a selection set on one object type."""

    key: str
    parent_type: GraphQLObjectType
    parent_name: str
    field_def: GraphQLField
    details: list[FieldDetails]
    nodes: list[FieldNode]
    return_type: GraphQLOutputType
    resolve: Any
    has_args: bool
    # A plain attribute read replacing the resolver, or None: call the field's resolver.
    read: Callable[[Any], Any] | None = None
    # For a plain field of scalar or enum type (maybe non-null): its coercion, inline.
    leaf_type: GraphQLLeafType | None = None
    non_null: bool = False
    # String and ID give a `str` back as it is (graphql-core's own coercion does exactly that).
    str_as_is: bool = False
    # An enum whose members are coerced once per plan: member -> its name in the response.
    enum_class: type | None = None
    enum_names: dict[Any, Any] = field(default_factory=dict)
    null_message: str = ""
    complete: Completer | None = None
    # A nested field whose resolver the plan may call itself (schema.platform.direct_resolvers).
    direct: DirectCall | None = None
    # Its batched form, for the objects of a list (schema.platform.batched_fields).
    batch: BatchedField | None = None


@dataclass(eq=False, slots=True)
class ObjectPlan:
    """The steps of one selection set on one object type, in response order."""

    steps: list[FieldStep] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class OperationPlan:
    operation: OperationDefinitionNode
    root: ObjectPlan


class _Compiler:
    """Builds the plan of one operation, given the executor's fragments and variables."""

    def __init__(self, executor: PlannedExecution) -> None:
        self.executor = executor
        self.schema: GraphQLSchema = executor.schema

    def root(self, root_type: GraphQLObjectType) -> ObjectPlan:
        executor = self.executor
        grouped, new_defer_usages, _forbidden = collect_fields(
            self.schema,
            executor.fragments,
            executor.variable_values,
            root_type,
            executor.operation,
            executor.hide_suggestions,
        )
        if new_defer_usages:
            raise Unplannable("deferred fields")
        # Root fields always call their resolver: extensions that act on root fields only
        # (see PlannedExecution.plain_reads_allowed) must see them.
        return self.object_plan(root_type, grouped, plain_reads=False)

    def object_plan(
        self,
        object_type: GraphQLObjectType,
        grouped: dict[str, list[FieldDetails]],
        plain_reads: bool = True,
    ) -> ObjectPlan:
        plan = ObjectPlan()
        for key, details in grouped.items():
            if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
                raise Unplannable("deferred fields or fragment arguments")
            node = details[0].node
            field_def = self.schema.get_field(object_type, node.name.value)
            if field_def is None:
                continue  # graphql-core leaves unknown fields out of the response too
            step = FieldStep(
                key=key,
                parent_type=object_type,
                parent_name=object_type.name,
                field_def=field_def,
                details=details,
                nodes=[d.node for d in details],
                return_type=field_def.type,
                resolve=field_def.resolve or self.executor.field_resolver,
                has_args=bool(field_def.args or node.arguments),
            )
            step.null_message = (
                f"Cannot return null for non-nullable field {object_type}.{node.name.value}."
            )
            if plain_reads and not step.has_args:
                step.read = plain_read(field_def)
            if plain_reads and step.read is None:
                step.direct = direct_call(
                    field_def, getattr(self.schema, "_strawberry_schema", None)
                )
                if step.direct is not None:
                    step.batch = batched_form(step.direct.strawberry_field)
            inner = field_def.type.of_type if is_non_null_type(field_def.type) else None
            leaf = inner if inner is not None else field_def.type
            if step.read is not None and is_leaf_type(leaf):
                step.leaf_type = leaf  # type: ignore[assignment]
                step.non_null = inner is not None
                step.str_as_is = getattr(leaf, "coerce_output_value", None) in STR_AS_IS
                step.enum_class, step.enum_names = enum_outputs(leaf)
            step.complete = self.completer(field_def.type, step)
            plan.steps.append(step)
        return plan

    def completer(self, return_type: GraphQLOutputType, step: FieldStep) -> Completer:
        if is_non_null_type(return_type):
            return _non_null(self.completer(return_type.of_type, step), step.null_message)
        if is_list_type(return_type):
            item_type = return_type.of_type
            return _list(self.completer(item_type, step), item_type, return_type, step)
        if is_leaf_type(return_type):
            return _leaf(return_type)
        if is_object_type(return_type):
            executor = self.executor
            grouped, new_defer_usages, _forbidden = collect_subfields(
                self.schema,
                executor.fragments,
                executor.variable_values,
                executor.operation,
                return_type,
                step.details,
                executor.hide_suggestions,
            )
            if new_defer_usages:
                raise Unplannable("deferred fields")
            plan = self.object_plan(return_type, grouped)
            if return_type.is_type_of is None:
                return _object(plan)
            return _checked_object(plan, return_type, step)
        # Abstract types: graphql-core's own completion.
        return _standard(return_type, step)


def enum_outputs(leaf: Any) -> tuple[type | None, dict[Any, Any]]:
    """For a Strawberry enum type: its Python enum and what its coercion gives each member
    (computed here once: the coercion depends on the member only); else (None, {})."""
    wrapped = getattr(leaf, "wrapped_cls", None)
    if not isinstance(leaf, GraphQLEnumType) or not isinstance(wrapped, type):
        return None, {}
    try:
        return wrapped, {member: leaf.coerce_output_value(member) for member in wrapped}  # type: ignore[attr-defined]
    except Exception:
        return None, {}


def plain_read(field_def: GraphQLField) -> Callable[[Any], Any] | None:
    """The attribute read a Strawberry basic field's resolver does, or None for other fields."""
    resolve = field_def.resolve
    strawberry_field = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
    if (
        resolve is None
        or not getattr(resolve, "_is_default", False)
        or strawberry_field is None
        or strawberry_field.base_resolver is not None
    ):
        return None
    name = strawberry_field.python_name
    default_resolver = strawberry_field.default_resolver
    if default_resolver is getattr:
        return operator.attrgetter(name)
    return lambda source: default_resolver(source, name)


def _non_null(inner: Completer, null_message: str) -> Completer:
    def complete_non_null(executor: PlannedExecution, value: Any, path: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        completed = inner(executor, value, path)
        if completed is None:
            raise TypeError(null_message)
        return completed

    return complete_non_null


def _leaf(leaf_type: GraphQLLeafType) -> Completer:
    def complete_leaf(executor: PlannedExecution, value: Any, path: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is executor.undefined:
            return None
        return executor.complete_leaf_value(leaf_type, value)

    return complete_leaf


def _list(item: Completer, item_type: Any, list_type: Any, step: FieldStep) -> Completer:
    def complete_list(executor: PlannedExecution, value: Any, path: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is executor.undefined:
            return None
        return executor.complete_planned_list(item, item_type, list_type, step, value, path)

    return complete_list


def _object(plan: ObjectPlan) -> Completer:
    def complete_object(executor: PlannedExecution, value: Any, path: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is executor.undefined:
            return None
        return executor.execute_plan(plan, value, path)

    return complete_object


def _checked_object(plan: ObjectPlan, object_type: GraphQLObjectType, step: FieldStep) -> Completer:
    """An object type with `is_type_of`: graphql-core's check of the value, then the plan."""
    is_type_of = object_type.is_type_of
    assert is_type_of is not None
    # Strawberry's own check (an object type implementing an interface) never reads its info.
    needs_info = not _is_strawberry_type_check(is_type_of)

    def complete_checked_object(executor: PlannedExecution, value: Any, path: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is executor.undefined:
            return None
        matches = is_type_of(value, executor.field_info(step, path) if needs_info else None)
        if executor.is_awaitable(matches):
            return executor.execute_plan_when(matches, plan, object_type, step, value, path)
        if not matches:
            raise invalid_return_type_error(object_type, value, step.details)
        return executor.execute_plan(plan, value, path)

    return complete_checked_object


STRAWBERRY_TYPE_CHECK = (
    "GraphQLCoreConverter.from_object.<locals>._get_is_type_of.<locals>.is_type_of"
)


def _is_strawberry_type_check(is_type_of: Callable[..., Any]) -> bool:
    code = getattr(is_type_of, "__code__", None)
    return (
        getattr(is_type_of, "__qualname__", None) == STRAWBERRY_TYPE_CHECK
        and getattr(is_type_of, "__module__", None) == "strawberry.schema.schema_converter"
        and code is not None
        and code.co_varnames[:2] == ("obj", "_info")
    )


def _standard(return_type: GraphQLOutputType, step: FieldStep) -> Completer:
    def complete_standard(executor: PlannedExecution, value: Any, path: Any) -> Any:
        return executor.complete_standard(return_type, step, value, path)

    return complete_standard


class _DirectiveVariables(Visitor):
    """The variables that directives (`@skip`, `@include`, ...) of an operation read."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.inside = 0

    def enter_directive(self, node: DirectiveNode, *_args: object) -> None:
        self.inside += 1

    def leave_directive(self, node: DirectiveNode, *_args: object) -> None:
        self.inside -= 1

    def enter_variable(self, node: Any, *_args: object) -> None:
        if self.inside:
            self.names.add(node.name.value)


_plans: OrderedDict[tuple[int, int, bool, tuple[Any, ...]], OperationPlan | None] = OrderedDict()


def _variables_read_by_directives(executor: PlannedExecution) -> tuple[str, ...]:
    """Computed once per operation; kept on the plan cache's miss path only."""
    finder = _DirectiveVariables()
    visit(executor.operation, finder)
    for fragment in executor.fragment_definitions.values():
        visit(fragment, finder)
    return tuple(sorted(finder.names))


_directive_variables: OrderedDict[int, tuple[OperationDefinitionNode, tuple[str, ...]]] = (
    OrderedDict()
)


def _directive_variables_of(executor: PlannedExecution) -> tuple[str, ...]:
    operation = executor.operation
    cached = _directive_variables.get(id(operation))
    if cached is not None and cached[0] is operation:
        return cached[1]
    names = _variables_read_by_directives(executor)
    _directive_variables[id(operation)] = (operation, names)
    if len(_directive_variables) > PLAN_CACHE_SIZE:
        _directive_variables.popitem(last=False)
    return names


def plan_for(executor: PlannedExecution, root_type: GraphQLObjectType) -> OperationPlan | None:
    """The cached plan of the executor's operation, compiled on first use; None: unplannable."""
    operation = executor.operation
    coerced = executor.variable_values.coerced
    values = tuple(repr(coerced.get(name)) for name in _directive_variables_of(executor))
    key = (id(executor.schema), id(operation), executor.hide_suggestions, values)
    if key in _plans:
        plan = _plans[key]
        if plan is None or plan.operation is operation:
            _plans.move_to_end(key)
            return plan
    try:
        plan = OperationPlan(operation, _Compiler(executor).root(root_type))
    except (Unplannable, GraphQLError, RecursionError):
        plan = None
    # The document stays referenced by the plan (or the directive cache), so its id is not reused.
    _plans[key] = plan
    if len(_plans) > PLAN_CACHE_SIZE:
        _plans.popitem(last=False)
    return plan
