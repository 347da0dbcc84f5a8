"""Values as the audit log stores them: JSON-safe, with secrets masked.

A value is masked when its name (a model field, an argument, a key inside an input), split into
words (snake_case or camelCase), has a password, secret or hash word, or ends in a token word:
`password_hash`, `tokenHash`, `newPassword`, `webhookSecret`, `token`, `invitation_token`, but
not `consent_token_lifetime_days` (a setting about tokens, not one). What is kept is only
whether it was set.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

MASK = "***"
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_WORDS = frozenset(
    {"password", "passwords", "passphrase", "secret", "secrets", "hash", "hashes"}
)
_SECRET_LAST_WORDS = frozenset({"token", "tokens", "key"})
_MAX_TEXT = 2000


@functools.lru_cache(maxsize=4096)
def is_secret(name: str) -> bool:
    words = [word.lower() for word in _WORDS.findall(name)]
    return bool(words) and (
        any(word in _SECRET_WORDS for word in words) or words[-1] in _SECRET_LAST_WORDS
    )


def masked(name: str, value: Any) -> Any:
    """`value` as JSON, or MASK when `name` is a secret's (None stays None: nothing was set)."""
    if value is not None and is_secret(name):
        return MASK
    return to_json(value)


def to_json(value: Any) -> Any:
    """A JSON-safe copy of `value`, masking secrets inside mappings and input objects."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: masked(item.name, getattr(value, item.name))
            for item in dataclasses.fields(value)
            if not _is_unset(getattr(value, item.name))
        }
    if isinstance(value, dict):
        return {clean_text(str(key)): masked(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    return clean_text(str(value))


def clean_text(text: str, limit: int = _MAX_TEXT) -> str:
    """Text any database column holds: NUL (refused by PostgreSQL text and JSON) and lone
    surrogates become U+FFFD; at most `limit` characters. The entry records a refused call's
    arguments too, whatever they held."""
    text = text[:limit].replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "UnsetType"
