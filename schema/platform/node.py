"""Global object identification: the `Node` interface and the `node`/`nodes` root fields.

Every record type implements `Node` (its `id` is a global id, see schema/platform/ids.py). Each
domain registers, for each of its node types, how to load one by pk through its own services and
which permission class the type's own single-object query has:

    register_node("Partner", load_partner, IsAuthenticated)

`node(id)` decodes the id (here only), checks that permission and calls the loader with the
caller's viewer, so it obeys the same tenancy as every other field: a missing or foreign object
is null plus an error that reads the same either way (no existence leak). `nodes(ids)` answers null
for each id it cannot give, without errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from resolvers.platform.permissions import IsAuthenticated, IsAuthenticatedOrActingAs, PublicError
from schema.platform.ids import decode_global_id
from services.platform.errors import ServiceError
from services.platform.pagination import MAX_PAGE_SIZE

NodeLoader = Callable[[Info, int], Awaitable[Any]]


@strawberry.interface(description="An object with a global id: fetch it again with node(id).")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's global id (opaque).")


@dataclass(frozen=True)
class NodeType:
    load: NodeLoader
    permission: type[BasePermission]


_node_types: dict[str, NodeType] = {}


def register_node(
    type_name: str, load: NodeLoader, permission: type[BasePermission] = IsAuthenticated
) -> None:
    """Let node(id) fetch objects of `type_name`: `load(info, pk)` returns the GraphQL object or
    raises ServiceError (not found, forbidden); `permission` is the type's own query permission."""
    if type_name in _node_types:
        raise ValueError(f"A node loader for {type_name} is registered already.")
    _node_types[type_name] = NodeType(load=load, permission=permission)


def registered_node_types() -> frozenset[str]:
    return frozenset(_node_types)


async def load_node(info: Info, value: str) -> Any:
    """The object a global id names, as the caller may see it; PublicError if it may not."""
    decoded = decode_global_id(value)
    if decoded is None:
        raise PublicError("This is not a valid id.", extensions={"code": "INVALID"})
    type_name, pk = decoded
    node_type = _node_types.get(type_name)
    if node_type is None:
        raise PublicError("No object can be fetched by this id.", extensions={"code": "INVALID"})
    permission = node_type.permission()
    if not permission.has_permission(None, info):
        raise PublicError(permission.message, extensions=permission.error_extensions)
    try:
        return await node_type.load(info, pk)
    except ServiceError as error:
        raise PublicError(error.message, extensions={"code": error.code.name}) from None


@strawberry.type
class NodeQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description="The object with this global id, if you may see it; else null and an error.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await load_node(info, id)

    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs],
        description=f"The objects with these global ids (at most {MAX_PAGE_SIZE}), in order; "
        "null for each one you may not see, that does not exist or is not a valid id.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise PublicError(
                f"Ask for at most {MAX_PAGE_SIZE} ids at once.", extensions={"code": "INVALID"}
            )
        found: list[Node | None] = []
        for value in ids:
            try:
                found.append(await load_node(info, value))
            except PublicError:
                found.append(None)
        return found
