"""Batched forms of nested fields: one call for every object of a list instead of one per object.

`Partner.groups` on a page of fifty partners is fifty resolver calls, fifty coroutines waiting on
fifty DataLoader futures, fifty tasks. An execution plan can instead ask a field's batched form
once for all the objects that reach the field while it completes one list
(schema/platform/batched_execution.py). A batched form is registered next to its type:

    @batched(Partner, "groups")
    class PartnerGroups(BatchedField):
        def refuses(self, info, **arguments) -> bool: ...
        async def load(self, sources, info, **arguments) -> list[Any]: ...

The contract, which the plan relies on to answer exactly as the per-object resolver does:

- `refuses(info, **arguments)` says, from the arguments and the viewer alone, whether the
  per-object resolver could fail for these arguments (a page size out of range, a malformed
  cursor, no viewer). It must not fail itself. When it says yes, the plan keeps the per-object
  resolver for that field (which then fails exactly as without plans);
- `load(sources, info, **arguments)` gives, for each source in order, what the per-object
  resolver would give for it, going through the same DataLoaders (so that batches, caches and
  statements stay the same). It raises what the per-object resolver would raise when they all
  fail (a database error).

`info` is the first object's: every object of a batch sits under the same root field, so it
reaches the same viewer and DataLoaders. The plan uses a batched form only where it may call the
field's resolver directly (schema/platform/direct_resolvers.py: permission checks that give the
same answer for every object, plain arguments).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.types.field import StrawberryField

TypeT = TypeVar("TypeT")


class BatchedField:
    """The batched form of one field (see the module's contract)."""

    def refuses(self, info: Any, **arguments: Any) -> bool:
        raise NotImplementedError

    async def load(self, sources: Sequence[Any], info: Any, **arguments: Any) -> list[Any]:
        raise NotImplementedError


_registry: dict[tuple[type, str], BatchedField] = {}


def batched(owner: type, field_name: str) -> Callable[[type[BatchedField]], type[BatchedField]]:
    """Register a class's instance as the batched form of `owner.field_name` (Python name)."""

    def register(batched_class: type[BatchedField]) -> type[BatchedField]:
        key = (owner, field_name)
        if key in _registry:
            raise ValueError(f"{owner.__name__}.{field_name} has a batched form already.")
        _registry[key] = batched_class()
        return batched_class

    return register


def batched_form(field: StrawberryField) -> BatchedField | None:
    """The registered batched form of a Strawberry field, if any."""
    origin = getattr(field, "origin", None)
    if not isinstance(origin, type):
        return None
    return _registry.get((origin, field.python_name))
