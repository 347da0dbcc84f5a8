"""The one validation layer for text that callers type in: characters, length, email syntax.

Every text a service stores goes through here first, so that bad input is a typed error with
the field it concerns, never a database error (PostgreSQL refuses NUL characters, a column has a
maximum length), never silently truncated, and never text that misleads who reads it later.

Never allowed anywhere: C0 and C1 control characters (tab and line breaks only in free text),
DEL, bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: they make an
address or a name display as something else), line and paragraph separators in one-line values,
and lone surrogates. `forbidden_character_problem` is the same rule for any text at all (the
schema applies it to every string argument as a safety net); services add field semantics:
one line or free text, a maximum length, required, an email address.
"""

from __future__ import annotations

import re

from services.platform.errors import ErrorCode, ServiceError, ValidationFailed

# Control characters: none at all in a one-line value; tab and line breaks are fine in free text.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_ALWAYS_FORBIDDEN = f"\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_BIDI_CONTROLS}\\ud800-\\udfff"
_TEXT_CONTROL = re.compile(f"[{_ALWAYS_FORBIDDEN}]")
_LINE_CONTROL = re.compile(f"[{_ALWAYS_FORBIDDEN}\\t\\n\\r\\u2028\\u2029]")
# The local part of an address: RFC 5322 dot-atom characters, letters of any script (RFC 6531).
_LOCAL_PART = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
# A host name label: letters and digits (any script), inner hyphens, at most 63 characters.
_DOMAIN_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")

MAX_EMAIL_LENGTH = 254
MAX_SEARCH_LENGTH = 200


CONTROL_CHARACTERS_MESSAGE = "This text contains control characters, which are not allowed."
LINE_BREAK_MESSAGE = "This text must be a single line."


def forbidden_character_problem(text: str, *, multiline: bool = True) -> str | None:
    """What is wrong with the characters of `text` (any field, any length), or None."""
    if _TEXT_CONTROL.search(text):
        return CONTROL_CHARACTERS_MESSAGE
    if not multiline and _LINE_CONTROL.search(text):
        return LINE_BREAK_MESSAGE
    return None


def clean_text(
    value: str,
    field: str,
    problems: list[tuple[str, str]],
    *,
    max_length: int,
    multiline: bool = False,
    required: bool = False,
) -> str:
    """The value without surrounding blanks; a problem is recorded if it cannot be stored."""
    text = value.strip()
    problem = forbidden_character_problem(text, multiline=multiline)
    if problem:
        problems.append((field, problem))
    elif len(text) > max_length:
        problems.append((field, f"This text must be at most {max_length} characters long."))
    elif required and not text:
        problems.append((field, "This is required."))
    return text


def validated_text(
    value: str, field: str, *, max_length: int, multiline: bool = False, required: bool = False
) -> str:
    """`clean_text` for a single field: the cleaned value, or ValidationFailed naming `field`."""
    problems: list[tuple[str, str]] = []
    text = clean_text(
        value, field, problems, max_length=max_length, multiline=multiline, required=required
    )
    if problems:
        raise ValidationFailed(problems)
    return text


def without_control_characters(text: str) -> str:
    return _LINE_CONTROL.sub("", text)


def email_problem(email: str) -> str | None:
    """What is wrong with an (already normalised) email address, or None."""
    if not email:
        return "An email address is required."
    if len(email) > MAX_EMAIL_LENGTH or _LINE_CONTROL.search(email) or " " in email:
        return "This is not an email address."
    local, at, domain = email.rpartition("@")
    if not at or len(local) > 64 or not _LOCAL_PART.match(local):
        return "This is not an email address."
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return "This is not an email address."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str, field: str, problems: list[tuple[str, str]]) -> str:
    """The normalised address; a problem naming `field` is recorded if it is not an address."""
    normalised = normalise_email(email)
    problem = email_problem(normalised)
    if problem:
        problems.append((field, problem))
    return normalised


def validate_email(email: str, field: str = "email") -> str:
    """The normalised address, or ValidationFailed naming `field`."""
    normalised = normalise_email(email)
    problem = email_problem(normalised)
    if problem:
        raise ValidationFailed([(field, problem)])
    return normalised


def clean_search(search: str | None) -> str | None:
    """A search term ready for a query, None for no search; refuses what no name can contain."""
    if search is None:
        return None
    term = search.strip()
    if _LINE_CONTROL.search(term) or len(term) > MAX_SEARCH_LENGTH:
        raise ServiceError(
            ErrorCode.INVALID,
            f"A search is at most {MAX_SEARCH_LENGTH} characters without control characters.",
            "search",
        )
    return term or None
