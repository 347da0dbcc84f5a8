"""Cursor pagination over a queryset ordered by primary key (keyset, no OFFSET)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.platform.errors import ErrorCode, ServiceError

ModelT = TypeVar("ModelT", bound=Model)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    items: list[ModelT]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.items[-1].pk) if self.items else None


def encode_cursor(primary_key: int) -> str:
    return base64.urlsafe_b64encode(f"id:{primary_key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ServiceError(ErrorCode.INVALID, "This cursor is not valid.", "after") from None


async def paginate(
    queryset: QuerySet[ModelT], first: int | None, after: str | None
) -> Page[ModelT]:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError(
            ErrorCode.INVALID, f"first must be between 1 and {MAX_PAGE_SIZE}.", "first"
        )
    if after is not None:
        queryset = queryset.filter(id__gt=decode_cursor(after))
    rows = await queryset.order_by("id").limit(size + 1)
    return Page(items=list(rows[:size]), has_next_page=len(rows) > size)
