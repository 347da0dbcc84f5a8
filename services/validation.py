"""Checks for text that callers type in: length, control characters, email addresses, searches.

Every text a service stores goes through here first, so that bad input is a typed error with
the field it concerns, never a database error (PostgreSQL refuses NUL characters, a column has a
maximum length) and never silently truncated.
"""

from __future__ import annotations

import re

from services.errors import ErrorCode, ServiceError, ValidationFailed

# Control characters: none at all in a one-line value; tab and line breaks are fine in free text.
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A host name label: letters and digits (any script), inner hyphens, at most 63 characters.
_DOMAIN_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")

MAX_EMAIL_LENGTH = 254
MAX_SEARCH_LENGTH = 200


def clean_text(
    value: str,
    field: str,
    problems: list[tuple[str, str]],
    *,
    max_length: int,
    multiline: bool = False,
) -> str:
    """The value without surrounding blanks; a problem is recorded if it cannot be stored."""
    text = value.strip()
    control = _TEXT_CONTROL if multiline else _LINE_CONTROL
    if control.search(text):
        problems.append((field, "This text contains control characters, which are not allowed."))
    elif len(text) > max_length:
        problems.append((field, f"This text must be at most {max_length} characters long."))
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
    if not at or not local or "@" in local or len(local) > 64:
        return "This is not an email address."
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return "This is not an email address."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
