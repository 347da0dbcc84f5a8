"""Global ids: every record's `id` is opaque, base64 of "TypeName:pk" (Relay's GlobalID format).

`global_id("Partner", 7)` builds one; `parse_id(value, "Partner")` reads one back from an argument.
Decoding happens here only. A malformed id, or the id of another type (a Lead id where a Partner id
is expected), is refused with code INVALID ("Expected a Partner id."), never read as "not found".
"""

from __future__ import annotations

import base64
from functools import lru_cache

import strawberry
from strawberry.relay import GlobalID
from strawberry.relay.types import GlobalIDValueError

from services.platform.errors import ErrorCode, ServiceError

# Primary keys are positive 32-bit integers in every table.
MAX_PK = 2**31 - 1


@lru_cache(maxsize=65536, typed=True)
def global_id(type_name: str, pk: int) -> strawberry.ID:
    """The opaque id of the record `pk` of the GraphQL type `type_name`: what
    `str(GlobalID(type_name, str(pk)))` gives, built without the GlobalID object."""
    return strawberry.ID(base64.b64encode(f"{type_name}:{pk}".encode()).decode())


def optional_global_id(type_name: str, pk: int | None) -> strawberry.ID | None:
    return None if pk is None else global_id(type_name, pk)


def decode_global_id(value: object) -> tuple[str, int] | None:
    """(type name, pk) of a well-formed global id, else None.

    Only the canonical spelling is accepted (what global_id builds): base64 that decodes loosely
    (stray characters, other padding) or a pk written as " 7", "+7" or "07" is not an id.
    """
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        decoded = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError):
        return None
    text = decoded.node_id
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_PK:
        return None
    if str(GlobalID(decoded.type_name, str(int(text)))) != value:
        return None
    return decoded.type_name, int(text)


def _article(name: str) -> str:
    return "an" if name[:1].upper() in "AEIO" else "a"


def expected_message(type_names: tuple[str, ...]) -> str:
    names = " or ".join(type_names)
    return f"Expected {_article(type_names[0])} {names} id."


def parse_id(value: strawberry.ID | str, expected: str | tuple[str, ...], field: str = "id") -> int:
    """The pk in a global id of the expected type(s); INVALID for anything else."""
    type_names = (expected,) if isinstance(expected, str) else expected
    decoded = decode_global_id(value)
    if decoded is None or decoded[0] not in type_names:
        raise ServiceError(ErrorCode.INVALID, expected_message(type_names), field)
    return decoded[1]


def parse_optional_id(
    value: strawberry.ID | str | None, expected: str | tuple[str, ...], field: str = "id"
) -> int | None:
    return None if value is None else parse_id(value, expected, field)
