"""What auto-approval rules may speak of: a deal registration's fields, in the words of the rule
engine (`services.leads.rules`), and the facts of one registration.

A condition reads either one of the registration's own fields (`DealField`) or one of the
vendor's custom registration fields (`CustomFieldRef`, stored as `custom.<key>`). Number fields
(amount, days until the expected close, custom number fields) compare numerically; everything
else compares as text, ignoring case and spacing (custom date fields as ISO dates, so `equals`
and `in list` work on them). `DealField.CUSTOM_FIELD` only says, in the API, that a condition
names a custom field by its key; a saved condition always holds the `CustomFieldRef`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from models.deal_registrations import CustomFieldKind, DealRegistration, DealRegistrationField
from services.deals.companies import normalise_domain
from services.leads.rules import Condition, Operator, RuleField, validate_rule_set
from services.platform.errors import ValidationFailed

CUSTOM_PREFIX = "custom."


class DealField(StrEnum):
    COMPANY = "company"
    COMPANY_DOMAIN = "company_domain"
    CONTACT_EMAIL_DOMAIN = "contact_email_domain"
    PRODUCTS = "products"
    AMOUNT = "amount"
    CURRENCY = "currency"
    EXPECTED_CLOSE_IN_DAYS = "expected_close_in_days"
    PARTNER_COUNTRY = "partner_country"
    CUSTOM_FIELD = "custom_field"

    @property
    def is_number(self) -> bool:
        return self in DEAL_NUMBER_FIELDS


DEAL_NUMBER_FIELDS = frozenset({DealField.AMOUNT, DealField.EXPECTED_CLOSE_IN_DAYS})


@dataclass(frozen=True)
class CustomFieldRef:
    """A condition's field that is one of the vendor's custom registration fields."""

    key: str
    is_number: bool

    @property
    def value(self) -> str:
        return f"{CUSTOM_PREFIX}{self.key}"


@dataclass(frozen=True)
class DealConditionInput:
    """A condition as a caller states it: a field (a custom one by key), operator, value(s)."""

    field: DealField
    operator: Operator
    value: str | None = None
    values: tuple[str, ...] = ()
    custom_field_key: str | None = None


def field_reader(definitions: Sequence[DealRegistrationField]) -> Any:
    """Reads a stored field name back into a rule field (for `rule_set_from_json`)."""
    number_keys = {d.key for d in definitions if d.kind is CustomFieldKind.NUMBER}

    def field_of(name: str) -> RuleField:
        if name.startswith(CUSTOM_PREFIX):
            key = name[len(CUSTOM_PREFIX) :]
            return CustomFieldRef(key, key in number_keys)
        return DealField(name)

    return field_of


def deal_rule_groups(
    groups: Sequence[Sequence[DealConditionInput]],
    definitions: Sequence[DealRegistrationField],
    field_prefix: str = "groups",
) -> list[list[Condition]]:
    """The rule set to save or try, checked as the lead rules are (same limits, same messages),
    plus: a custom-field condition names an active custom field, and only such a condition
    names one. ValidationFailed names each failing condition (`groups[1].conditions[0]`)."""
    active = {d.key: d for d in definitions if not d.archived}
    problems: list[tuple[str, str]] = []
    parsed: list[list[Condition]] = []
    for group_index, group in enumerate(groups):
        conditions: list[Condition] = []
        for condition_index, item in enumerate(group):
            where = f"{field_prefix}[{group_index}].conditions[{condition_index}]"
            rule_field: RuleField = item.field
            if item.field is DealField.CUSTOM_FIELD:
                definition = active.get((item.custom_field_key or "").strip())
                if definition is None:
                    problems.append((where, "There is no active registration field with this key."))
                    continue
                rule_field = CustomFieldRef(
                    definition.key, definition.kind is CustomFieldKind.NUMBER
                )
            elif item.custom_field_key is not None:
                problems.append((where, "Only a custom-field condition names a custom field key."))
                continue
            conditions.append(Condition(rule_field, item.operator, item.value, item.values))
        parsed.append(conditions)
    try:
        validate_rule_set(parsed, field_prefix)
    except ValidationFailed as failure:
        problems.extend(failure.problems)
    if problems:
        raise ValidationFailed(problems)
    return parsed


def _number(text: Any) -> Decimal | None:
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def registration_facts(
    registration: DealRegistration,
    partner_country: str,
    definitions: Sequence[DealRegistrationField],
    today: date,
) -> dict[str, Any]:
    """The values rules see for a registration; `today` is the review team's date."""
    email = registration.contact_email or ""
    close = registration.expected_close_on
    facts: dict[str, Any] = {
        DealField.COMPANY.value: registration.company_name,
        DealField.COMPANY_DOMAIN.value: normalise_domain(registration.company_domain or ""),
        DealField.CONTACT_EMAIL_DOMAIN.value: email.rpartition("@")[2] if "@" in email else "",
        DealField.PRODUCTS.value: registration.products,
        DealField.AMOUNT.value: (
            None if registration.amount is None else Decimal(str(registration.amount))
        ),
        DealField.CURRENCY.value: registration.currency,
        DealField.EXPECTED_CLOSE_IN_DAYS.value: None if close is None else (close - today).days,
        DealField.PARTNER_COUNTRY.value: partner_country,
    }
    values: Mapping[str, Any] = registration.custom_values or {}
    for definition in definitions:
        raw = values.get(definition.key)
        name = f"{CUSTOM_PREFIX}{definition.key}"
        if definition.kind is CustomFieldKind.NUMBER:
            facts[name] = None if raw is None else _number(raw)
        else:
            facts[name] = "" if raw is None else str(raw)
    return facts


def condition_parts(condition: Condition) -> tuple[DealField, str | None]:
    """The API's (field, custom field key) of a saved condition."""
    if isinstance(condition.field, CustomFieldRef):
        return DealField.CUSTOM_FIELD, condition.field.key
    return DealField(condition.field.value), None
