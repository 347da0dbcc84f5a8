"""The vendor's own fields on the deal-registration form, and checking a registration's values
against their definitions.

Values are stored as JSON by field key: text and choice as strings, numbers as decimal strings
(no float rounding), dates as ISO dates. Archived fields are neither asked for nor kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from models.deal_registrations import CustomFieldKind, DealRegistrationField
from services.platform.validation import clean_text

MAX_CUSTOM_TEXT = 1000
MAX_NUMBER = Decimal("1e15")


async def active_fields() -> list[DealRegistrationField]:
    return await DealRegistrationField.filter(archived=False).order_by("position", "id")


def _checked_value(
    definition: DealRegistrationField, raw: str, field: str, problems: list[tuple[str, str]]
) -> str | None:
    text = clean_text(raw, field, problems, max_length=MAX_CUSTOM_TEXT, multiline=True)
    if not text:
        return None
    if definition.kind is CustomFieldKind.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            problems.append((field, f"{definition.label}: this is not a number."))
            return None
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            problems.append((field, f"{definition.label}: this number is out of range."))
            return None
        return str(number)
    if definition.kind is CustomFieldKind.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            problems.append((field, f"{definition.label}: use a date such as 2026-12-31."))
            return None
    if definition.kind is CustomFieldKind.CHOICE and text not in definition.choices:
        problems.append((field, f"{definition.label}: choose one of the listed options."))
        return None
    return text


def check_custom_values(
    definitions: list[DealRegistrationField],
    values: Mapping[str, str],
    problems: list[tuple[str, str]],
    *,
    require_all: bool,
    field_prefix: str = "customFields",
) -> dict[str, Any]:
    """The values to store, keyed by field key. Unknown keys are refused; a required field
    without a value is refused only when `require_all` (at submission, not for a draft)."""
    by_key = {definition.key: definition for definition in definitions}
    checked: dict[str, Any] = {}
    for key, raw in values.items():
        definition = by_key.get(key)
        field = f"{field_prefix}.{key}"
        if definition is None:
            problems.append((field_prefix, "There is no registration field with this key."))
            continue
        value = _checked_value(definition, raw, field, problems)
        if value is not None:
            checked[key] = value
    if require_all:
        for definition in definitions:
            if definition.required and definition.key not in checked:
                problems.append(
                    (f"{field_prefix}.{definition.key}", f"{definition.label} is required.")
                )
    return checked
