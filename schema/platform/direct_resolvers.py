"""Direct resolver calls for nested fields of an execution plan (schema.platform.execution_plan).

Strawberry runs every field with a resolver through its own wrapper: a fresh `Info`, the field's
arguments converted again, then its field extensions (the permission check, an async wrapper
around it) and the resolver. For `Partner.groups` on a page of fifty partners that is fifty
times the same argument conversion and the same permission answer.

A plan calls the resolver itself for a nested field when that changes nothing:

- the field's only extensions are permission checks whose classes declare
  `same_answer_for_every_object` where they define `has_permission` (the answer depends on the
  viewer and the request, never on the object or the arguments; see
  resolvers/platform/permissions.py). The plan asks them once per field and root field (whose
  result may be read as another viewer) and calls the resolver directly only when every check
  said yes; otherwise every object takes Strawberry's own path, which asks again and fails
  exactly as without plans;
- its arguments are scalars or enums of the built-in kinds (immutable: the converted values,
  computed once per field of an operation, can be shared by every object);
- there are no schema exception handlers, and the resolver is a plain function or coroutine
  function (not a generator) whose kind matches the field's.

What the resolver receives is what Strawberry would give it: the object as `self` (or its
parent/root parameter), Strawberry's `Info` around the field's resolve info, the converted
arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from inspect import isasyncgenfunction
from typing import TYPE_CHECKING, Any

from graphql import GraphQLEnumType, GraphQLField, GraphQLScalarType, get_named_type
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.arguments import convert_arguments

if TYPE_CHECKING:
    from strawberry.types.field import StrawberryField

STRAWBERRY_FIELD = "strawberry-definition"
SOURCE_INDEPENDENT = "same_answer_for_every_object"
BUILT_IN_SCALARS = frozenset({"Int", "Float", "String", "Boolean", "ID"})


@dataclass(frozen=True, slots=True, eq=False)
class DirectCall:
    """How to call one field's resolver as Strawberry would, minus its wrapper."""

    strawberry_field: StrawberryField
    resolver: Callable[..., Any]
    info_class: Any
    permissions: tuple[BasePermission, ...]
    passes_self: bool
    source_names: tuple[str, ...]  # parent/root parameters: the object by keyword
    info_name: str | None
    config: Any
    scalar_registry: Any

    def converted_arguments(self, raw: dict[str, Any], info: Any) -> dict[str, Any]:
        """Strawberry's conversion of the field's arguments (done once per field and operation)."""
        field = self.strawberry_field
        kwargs = convert_arguments(
            raw,
            field.arguments,
            scalar_registry=self.scalar_registry,
            config=self.config,
            info=info,
        )
        for extension in field.extensions:
            kwargs = extension.map_arguments(kwargs)
        return kwargs

    def permitted(self, source: Any, info: Any, kwargs: dict[str, Any]) -> bool:
        """True when every permission check says yes (False on no, an error or anything odd)."""
        for permission in self.permissions:
            try:
                answer = permission.has_permission(source, info, **kwargs)
            except Exception:
                return False
            if answer is not True:  # False, an awaitable, anything not exactly True
                close = getattr(answer, "close", None)
                if callable(close) and hasattr(answer, "cr_frame"):
                    close()  # a coroutine never awaited
                return False
        return True

    def call(self, source: Any, info: Any, kwargs: dict[str, Any]) -> Any:
        arguments = dict(kwargs)
        for name in self.source_names:
            arguments[name] = source
        if self.info_name is not None:
            arguments[self.info_name] = info
        if self.passes_self:
            return self.resolver(source, **arguments)
        return self.resolver(**arguments)


def source_independent(permission: BasePermission) -> bool:
    """Whether the class that defines `has_permission` declares its answer object-independent."""
    for klass in type(permission).__mro__:
        if "has_permission" in klass.__dict__:
            return klass.__dict__.get(SOURCE_INDEPENDENT) is True
    return False


def _plain_arguments(field_def: GraphQLField) -> bool:
    for argument in field_def.args.values():
        named = get_named_type(argument.type)
        if isinstance(named, GraphQLEnumType):
            continue
        if not (isinstance(named, GraphQLScalarType) and named.name in BUILT_IN_SCALARS):
            return False
    return True


def direct_call(field_def: GraphQLField, strawberry_schema: Any) -> DirectCall | None:
    """The direct call of a nested field's resolver, or None: it keeps Strawberry's path."""
    field: StrawberryField | None = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
    converter = getattr(strawberry_schema, "schema_converter", None)
    if field is None or converter is None or field.base_resolver is None:
        return None
    resolver = field.base_resolver
    if (
        field.is_subscription
        or getattr(converter, "exception_handlers", ())
        or isasyncgenfunction(resolver.wrapped_func)
        or field.is_async != resolver.is_async
        or not _plain_arguments(field_def)
    ):
        return None
    permissions: list[BasePermission] = []
    for extension in field.extensions:
        if type(extension) is not PermissionExtension or extension.fail_silently:
            return None
        permissions.extend(extension.permissions)
    if not all(source_independent(p) for p in permissions):
        return None
    info_parameter = resolver.info_parameter
    return DirectCall(
        strawberry_field=field,
        resolver=resolver.wrapped_func,
        info_class=strawberry_schema.config.info_class,
        permissions=tuple(permissions),
        passes_self=resolver.self_parameter is not None,
        source_names=tuple(
            p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
        ),
        info_name=info_parameter.name if info_parameter is not None else None,
        config=strawberry_schema.config,
        scalar_registry=converter.scalar_registry,
    )
