"""Types shared by every domain: typed errors, pagination, ids."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from resolvers.platform.permissions import PublicError
from services.platform.errors import ErrorCode as ServiceErrorCode
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.pagination import Page

ErrorCode = strawberry.enum(
    ServiceErrorCode, name="ErrorCode", description="Why an operation failed."
)

T = TypeVar("T")
ModelT = TypeVar("ModelT")


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


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def to_connection(page: Page, convert: Callable[[ModelT], T]) -> Connection[T]:
    from services.platform.pagination import encode_cursor

    return Connection(
        edges=[Edge(cursor=encode_cursor(item.pk), node=convert(item)) for item in page.items],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )


def parse_id(value: strawberry.ID | str | int, kind: str, field: str = "id") -> int:
    """An id from the API as an integer; a malformed id is reported like a missing object."""
    text = str(value)
    # Plain ASCII digits only: int() would also take " 7", "+7", "0_7" or other scripts' digits.
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**31:
        raise ServiceError(ServiceErrorCode.NOT_FOUND, f"{kind} not found.", field)
    return int(text)


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
