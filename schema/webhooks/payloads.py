"""Webhook payloads rendered through the schema, so they show objects as the API does.

The payload root is `Subscription.webhookEvent`, a `WebhookEventPayload`: the event's `type`,
`timestamp` and the one object field matching the event (`lead` for lead.*, `deal` for deal.*,
...). The default payload's `data` is that object with its scalar fields and the `id` of every
object it points to; an endpoint's own subscription document, e.g.

    subscription { webhookEvent { type deal { id status amount customer { name } } } }

is executed instead and its whole `data` becomes the payload's `data` (should a field fail, `data`
is `{"result": ..., "errors": [messages]}` instead; the change itself never fails for it). Both
are executed as the vendor admin who created the endpoint, inside the transaction of the change.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.error import GraphQLError
from starlette.requests import Request

from models.enums import Role
from resolvers.platform.context import Context
from resolvers.platform.loaders import Loaders
from schema.webhooks.subjects import to_payload
from services.platform.viewer import Viewer
from services.webhooks.rendering import EventSubject, set_payload_renderer
from settings import Settings

ROOT_FIELD = "webhookEvent"


def _default_selection(object_type: GraphQLObjectType) -> str:
    parts = []
    for name, field in object_type.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        field_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        named = get_named_type(field_type)
        if is_leaf_type(named):
            parts.append(name)
        elif (
            not isinstance(field_type, GraphQLList)
            and isinstance(named, GraphQLObjectType)
            and "id" in named.fields
        ):
            parts.append(f"{name} {{ id }}")
    return " ".join(parts)


class PayloadRenderer:
    def __init__(self, graphql_schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = graphql_schema
        self.settings = settings
        self.defaults: dict[str, Any] = {}
        root = graphql_schema.subscription_type
        assert root is not None
        payload_type = get_named_type(root.fields[ROOT_FIELD].type)
        assert isinstance(payload_type, GraphQLObjectType)
        for kind, field in payload_type.fields.items():
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType):
                selection = _default_selection(named)
                self.defaults[kind] = parse(
                    f"subscription {{ {ROOT_FIELD} {{ {kind} {{ {selection} }} }} }}"
                )

    def problems(self, document: str) -> list[str]:
        try:
            parsed = parse(document)
        except GraphQLError as error:
            return [error.message]
        operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
            return ["Write exactly one subscription operation."]
        operation = operations[0]
        if operation.variable_definitions:
            return ["A webhook document takes no variables."]
        fields = [s for s in operation.selection_set.selections if getattr(s, "name", None)]
        if len(fields) != 1 or fields[0].name.value != ROOT_FIELD:  # type: ignore[attr-defined]
            return [f"Select exactly one root field, {ROOT_FIELD}."]
        return [error.message for error in validate(self.schema, parsed)]

    def _context(self, admin_id: int | None) -> Context:
        viewer = Viewer(
            user_id=admin_id or 0,
            email="",
            role=Role.VENDOR_ADMIN,
            partner_id=None,
            session_id="webhook",
        )
        request = Request({"type": "http", "method": "POST", "path": "/", "headers": []})
        return Context(
            request=request,
            response=None,
            settings=self.settings,
            viewer=viewer,
            client_address="",
            loaders=Loaders(viewer),
        )

    async def render(self, event: EventSubject, document: str, admin_id: int | None) -> Any:
        root = await to_payload(event)
        parsed = parse(document) if document else self.defaults[event.kind]
        context = self._context(admin_id)
        result = execute(self.schema, parsed, root_value=root, context_value=context)
        if not isinstance(result, ExecutionResult):
            result = await result
        data: Any = result.data or {}
        if not document:
            data = (data.get(ROOT_FIELD) or {}).get(event.kind)
        if result.errors:
            # A document's field that fails is null with its error beside it, never a failed change.
            return {"result": data, "errors": [error.message for error in result.errors]}
        return data


def register_payload_renderer(graphql_schema: GraphQLSchema, settings: Settings) -> None:
    """Make services render webhook payloads through this schema (web app and worker)."""
    renderer = PayloadRenderer(graphql_schema, settings)
    set_payload_renderer(renderer.render, renderer.problems)
