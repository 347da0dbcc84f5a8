"""Every root field of the Mutation type is audited: this extension opens the audit scope.

Being a schema extension, it wraps mutations nobody has written yet; `tests/test_audit_log.py`
calls every Mutation field and checks each one leaves an entry. The outcome is `done`, `refused`
(an `OperationErrors` payload or an error with a code such as FORBIDDEN: nothing was changed) or
`failed` (an unexpected error). It sits last in the schema's extension list, so outermost: a
mutation that RefuseControlCharacters turns away is recorded as refused too.
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, OperationType
from strawberry.extensions import SchemaExtension

from models.audit import AuditOutcome
from schema.platform.common import OperationErrors
from services.audit.recorder import AuditScope, close_scope, open_scope


def _arguments(info: GraphQLResolveInfo, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by their GraphQL names (the recorder masks secrets)."""
    field = info.parent_type.fields[info.field_name]
    return {
        name: kwargs[argument.out_name or name]
        for name, argument in field.args.items()
        if (argument.out_name or name) in kwargs
    }


def _target(result: Any) -> tuple[str, str] | None:
    identifier = getattr(result, "id", None)
    if identifier is None or isinstance(result, OperationErrors):
        return None
    return type(result).__name__, str(identifier)


class AuditMutations(SchemaExtension):
    """Records each mutation call: who, from where, with which (masked) arguments, and how it
    ended; the rows it changed are recorded by services/audit/recorder.py while it runs."""

    # Acts on root fields only: execution plans may read nested plain fields without it.
    resolves_root_fields_only = True

    def resolve(
        self, _next: Any, root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is not None or info.operation.operation is not OperationType.MUTATION:
            return _next(root, info, *args, **kwargs)
        return self._audited(_next, root, info, args, kwargs)

    async def _audited(
        self,
        _next: Any,
        root: Any,
        info: GraphQLResolveInfo,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        context = info.context
        scope = AuditScope.for_viewer(
            context.viewer,
            info.field_name,
            _arguments(info, kwargs),
            context.client_address,
            context.request.headers.get("user-agent", ""),
        )
        token = open_scope(scope)
        try:
            result = _next(root, info, *args, **kwargs)
            if isawaitable(result):
                result = await result
        except GraphQLError as error:
            code = str((error.extensions or {}).get("code", ""))
            await close_scope(token, scope, AuditOutcome.REFUSED, code)
            raise
        except Exception:
            await close_scope(token, scope, AuditOutcome.FAILED, "INTERNAL_SERVER_ERROR")
            raise
        if isinstance(result, OperationErrors):
            code = result.errors[0].code.name if result.errors else ""
            await close_scope(token, scope, AuditOutcome.REFUSED, code)
        else:
            await close_scope(token, scope, AuditOutcome.DONE, target=_target(result))
        return result
