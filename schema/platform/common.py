"""Types shared by every domain: typed errors, pagination (connections), and the id helpers.

`parse_id`, `parse_optional_id` and `global_id` live in schema/platform/ids.py and are re-exported
here for the domains' convenience.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Generic, TypeVar

import strawberry

from resolvers.platform.permissions import PublicError
from schema.platform.ids import global_id, optional_global_id, parse_id, parse_optional_id
from services.platform.errors import ErrorCode as ServiceErrorCode
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageWindow

__all__ = [
    "Connection",
    "Done",
    "Edge",
    "FieldError",
    "OperationErrors",
    "PageInfo",
    "PageWindow",
    "UpdatedSince",
    "connection_of",
    "fetch",
    "global_id",
    "mutate",
    "optional_global_id",
    "parse_id",
    "parse_optional_id",
    "to_connection",
]

ErrorCode = strawberry.enum(
    ServiceErrorCode, name="ErrorCode", description="Why an operation failed."
)

T = TypeVar("T")
ModelT = TypeVar("ModelT")

UpdatedSince = Annotated[
    datetime | None,
    strawberry.argument(
        description="Incremental sync: only rows changed at or after this moment (with a time "
        "zone offset), ordered by (updatedAt, id); page on with `after` and keep the last cursor "
        "(README, Incremental sync)."
    ),
]


@strawberry.type(description="One problem with the input: which field, what is wrong, and a code.")
class FieldError:
    field: str | None
    message: str
    code: ErrorCode


@strawberry.type(description="An expected failure: nothing was changed.")
class OperationErrors:
    errors: list[FieldError]

    @classmethod
    def from_service_error(cls, error: ServiceError) -> OperationErrors:
        if isinstance(error, ValidationFailed):
            return cls(
                errors=[FieldError(field=f, message=m, code=error.code) for f, m in error.problems]
            )
        return cls(errors=[FieldError(field=error.field, message=error.message, code=error.code)])


@strawberry.type(description="Result of an operation that returns nothing but may fail.")
class Done:
    ok: bool = True


@strawberry.type(description="Where a page sits in its list, and the cursors to page on from it.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page, cursors: Sequence[str] | None = None) -> PageInfo:  # type: ignore[type-arg]
        """The page's info; `cursors` are the page's cursors when the caller has them already."""
        if cursors is None:
            cursors = page.cursor_list()
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(
    description=f"A page of a list: first/after pages forward, last/before backward; a page "
    f"holds at most {MAX_PAGE_SIZE} items (a larger first or last is refused), "
    f"{DEFAULT_PAGE_SIZE} unless asked otherwise."
)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list holds, over all its pages.")
    async def total_count(self) -> int:
        return await fetch(self.count)


def connection_of(page: Page, nodes: Sequence[T]) -> Connection[T]:  # type: ignore[type-arg]
    """A connection of a page whose rows are already converted to `nodes` (same order)."""
    cursors = page.cursor_list()
    return Connection(
        edges=[Edge(cursor=cursor, node=node) for cursor, node in zip(cursors, nodes, strict=True)],
        page_info=PageInfo.of(page, cursors),
        count=page.count,
    )


def to_connection(page: Page, convert: Callable[[ModelT], T]) -> Connection[T]:  # type: ignore[type-arg]
    return connection_of(page, [convert(item) for item in page.items])


async def mutate(operation: Callable[[], Awaitable[T]]) -> T | OperationErrors:
    """Run a mutation: expected failures become typed errors in the payload."""
    try:
        return await operation()
    except ServiceError as error:
        return OperationErrors.from_service_error(error)


async def fetch(operation: Callable[[], Awaitable[T]]) -> T:
    """Run a query: expected failures become GraphQL errors with a machine-readable code."""
    try:
        return await operation()
    except ServiceError as error:
        raise PublicError(error.message, extensions={"code": error.code.name}) from None
