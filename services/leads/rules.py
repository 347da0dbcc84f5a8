"""The auto-registration rule language: conditions, validation, the reference evaluation and
the explanation of a rule set (`services.leads.rules_compiled` holds the fast compiled plan).

Pure Python, no database. A rule set is a list of groups, a group a list of conditions, and a
condition compares one field with an operator and a value. The engine speaks of any record whose
fields are `RuleField`s: lead fields here (`LeadField`), deal-registration fields in
`services.deals.approval_rule_fields`; a field says its name (`value`, the key of the facts) and
whether it is a number (`is_number`):

- a lead matches a group when ALL of the group's conditions match (AND);
- a lead matches the rule set when ANY group matches (OR); the first matching group (lowest
  index) is the one recorded;
- an empty group matches nothing. A group without conditions is never a catch-all: "register
  every lead" must be said with a condition (for example `email is not empty`). Saving an empty
  group is refused by `validate_rule_set`; a rule set without groups matches nothing.

Text comparisons ignore case and surrounding whitespace. Number fields (`employees`,
`estimated_value`) compare numerically. An empty value (empty text, a missing number) fails
equals / contains / starts with / in list / greater than / less than, and the negative operators
(not equals, does not contain, not in list) are exactly the negation of their positive twin, so an
empty value passes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from services.platform.errors import ValidationFailed
from services.platform.validation import forbidden_character_problem

MAX_GROUPS = 50
MAX_CONDITIONS_PER_GROUP = 25
MAX_LIST_VALUES = 200
MAX_VALUE_LENGTH = 200


class RuleField(Protocol):
    """What a condition reads: the name of a fact, and whether the fact is a number (compared
    numerically) or text (compared ignoring case and spacing). Hashable and ordered by name."""

    @property
    def value(self) -> str: ...

    @property
    def is_number(self) -> bool: ...


class LeadField(StrEnum):
    EMAIL = "email"
    EMAIL_DOMAIN = "email_domain"
    COMPANY = "company"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PHONE = "phone"
    COUNTRY = "country"
    INDUSTRY = "industry"
    LOCALE = "locale"
    NOTES = "notes"
    EMPLOYEES = "employees"
    ESTIMATED_VALUE = "estimated_value"

    @property
    def is_number(self) -> bool:
        return self in NUMBER_FIELDS


NUMBER_FIELDS = frozenset({LeadField.EMPLOYEES, LeadField.ESTIMATED_VALUE})


class Operator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    IN_LIST = "in_list"
    NOT_IN_LIST = "not_in_list"
    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"


NO_VALUE_OPERATORS = frozenset({Operator.IS_EMPTY, Operator.IS_NOT_EMPTY})
LIST_OPERATORS = frozenset({Operator.IN_LIST, Operator.NOT_IN_LIST})
TEXT_ONLY_OPERATORS = frozenset({Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.STARTS_WITH})
NUMBER_ONLY_OPERATORS = frozenset({Operator.GREATER_THAN, Operator.LESS_THAN})

Facts = Mapping[str, Any]  # field name -> raw value (str, Decimal, int or None)


@dataclass(frozen=True)
class Condition:
    field: RuleField
    operator: Operator
    value: str | None = None
    values: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field.value,
            "operator": self.operator.value,
            "value": self.value,
            "values": list(self.values),
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], field_of: Callable[[str], RuleField] = LeadField
    ) -> Condition:
        """A stored condition; `field_of` reads the field name (lead fields unless told)."""
        return cls(
            field=field_of(data["field"]),
            operator=Operator(data["operator"]),
            value=data.get("value"),
            values=tuple(data.get("values") or ()),
        )


RuleSet = Sequence[Sequence[Condition]]


def rule_set_to_json(groups: RuleSet) -> list[list[dict[str, Any]]]:
    return [[condition.to_json() for condition in group] for group in groups]


def rule_set_from_json(
    data: Sequence[Sequence[Mapping[str, Any]]], field_of: Callable[[str], RuleField] = LeadField
) -> list[list[Condition]]:
    return [[Condition.from_json(item, field_of) for item in group] for group in data]


# ---- validation ----------------------------------------------------------------------------


def parse_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() else None


def condition_problem(condition: Condition) -> str | None:
    """What is wrong with one condition, or None when it can be saved."""
    is_number = condition.field.is_number
    operator = condition.operator
    if is_number and operator in TEXT_ONLY_OPERATORS:
        return f"'{operator.value}' compares text; {condition.field.value} is a number."
    if not is_number and operator in NUMBER_ONLY_OPERATORS:
        return f"'{operator.value}' compares numbers; {condition.field.value} is text."
    if operator in NO_VALUE_OPERATORS:
        if (condition.value or "").strip() or condition.values:
            return f"'{operator.value}' takes no value."
        return None
    if operator in LIST_OPERATORS:
        if condition.value is not None and condition.value.strip():
            return f"'{operator.value}' takes a list of values, not a single value."
        if not condition.values:
            return f"'{operator.value}' needs at least one value."
        if len(condition.values) > MAX_LIST_VALUES:
            return f"A list holds at most {MAX_LIST_VALUES} values."
        candidates = list(condition.values)
    else:
        if condition.values:
            return f"'{operator.value}' takes a single value, not a list."
        if condition.value is None or not condition.value.strip():
            return f"'{operator.value}' needs a value."
        candidates = [condition.value]
    for candidate in candidates:
        if not candidate.strip():
            return "Values must not be empty."
        character_problem = forbidden_character_problem(candidate, multiline=False)
        if character_problem:
            return character_problem
        if len(candidate) > MAX_VALUE_LENGTH:
            return f"A value is at most {MAX_VALUE_LENGTH} characters long."
        if is_number and parse_number(candidate) is None:
            return f"{candidate!r} is not a number."
    return None


def validate_rule_set(groups: RuleSet, field_prefix: str = "groups") -> None:
    """Refuse a rule set that cannot be saved, naming each failing group or condition.

    Field names look like `groups[1].conditions[0]` (zero-based).
    """
    problems: list[tuple[str, str]] = []
    if len(groups) > MAX_GROUPS:
        problems.append((field_prefix, f"A rule set holds at most {MAX_GROUPS} groups."))
    for group_index, group in enumerate(groups):
        where = f"{field_prefix}[{group_index}]"
        if not group:
            problems.append((where, "A group needs at least one condition."))
        if len(group) > MAX_CONDITIONS_PER_GROUP:
            problems.append(
                (where, f"A group holds at most {MAX_CONDITIONS_PER_GROUP} conditions.")
            )
        for condition_index, condition in enumerate(group):
            problem = condition_problem(condition)
            if problem is not None:
                problems.append((f"{where}.conditions[{condition_index}]", problem))
    if problems:
        raise ValidationFailed(problems)


def parse_condition(
    field_name: str, operator_name: str, value: str | None, values: Sequence[str] | None
) -> Condition:
    """A condition from loose input (names as strings); unknown names are a validation error."""
    try:
        lead_field = LeadField(field_name)
    except ValueError:
        raise ValidationFailed([("field", f"Unknown lead field {field_name!r}.")]) from None
    try:
        operator = Operator(operator_name)
    except ValueError:
        raise ValidationFailed([("operator", f"Unknown operator {operator_name!r}.")]) from None
    return Condition(lead_field, operator, value, tuple(values or ()))


# ---- evaluation ----------------------------------------------------------------------------


def normalise_text(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _text(facts: Facts, name: str) -> str:
    return normalise_text(facts.get(name))


def _number(facts: Facts, name: str) -> Decimal | None:
    value = facts.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


Test = Callable[[Facts], bool]
# A compiled condition: the field it reads, and a predicate over that field's normalised value
# (casefolded text, or a Decimal / None for number fields).
Predicate = tuple[str, Callable[[Any], bool]]


def compile_predicate(condition: Condition) -> Predicate:
    """The field a condition reads and a predicate over its normalised value (assumed valid)."""
    name = condition.field.value
    operator = condition.operator
    if condition.field.is_number:
        target = parse_number(condition.value) if condition.value is not None else None
        targets = frozenset(n for n in map(parse_number, condition.values) if n is not None)
        number_tests: dict[Operator, Callable[[Decimal | None], bool]] = {
            Operator.EQUALS: lambda v: v is not None and v == target,
            Operator.NOT_EQUALS: lambda v: not (v is not None and v == target),
            Operator.IN_LIST: lambda v: v is not None and v in targets,
            Operator.NOT_IN_LIST: lambda v: not (v is not None and v in targets),
            Operator.GREATER_THAN: lambda v: v is not None and target is not None and v > target,
            Operator.LESS_THAN: lambda v: v is not None and target is not None and v < target,
            Operator.IS_EMPTY: lambda v: v is None,
            Operator.IS_NOT_EMPTY: lambda v: v is not None,
        }
        return name, number_tests[operator]

    text_target = normalise_text(condition.value)
    text_targets = frozenset(normalise_text(v) for v in condition.values)
    text_tests: dict[Operator, Callable[[str], bool]] = {
        Operator.EQUALS: lambda v: v == text_target,
        Operator.NOT_EQUALS: lambda v: v != text_target,
        Operator.CONTAINS: lambda v: bool(v) and text_target in v,
        Operator.NOT_CONTAINS: lambda v: not (bool(v) and text_target in v),
        Operator.STARTS_WITH: lambda v: bool(v) and v.startswith(text_target),
        Operator.IN_LIST: lambda v: v in text_targets,
        Operator.NOT_IN_LIST: lambda v: v not in text_targets,
        Operator.IS_EMPTY: lambda v: v == "",
        Operator.IS_NOT_EMPTY: lambda v: v != "",
    }
    return name, text_tests[operator]


def normalised_value(facts: Facts, rule_field: RuleField) -> Any:
    """What predicates compare: casefolded text, or a Decimal (None when empty) for numbers."""
    if rule_field.is_number:
        return _number(facts, rule_field.value)
    return _text(facts, rule_field.value)


def compile_condition(condition: Condition) -> Test:
    """A function that tells whether a record's facts satisfy `condition` (assumed valid)."""
    _, predicate = compile_predicate(condition)
    rule_field = condition.field
    return lambda facts: predicate(normalised_value(facts, rule_field))


def interpret_first_matching_group(groups: RuleSet, facts: Facts) -> int | None:
    """The reference semantics, condition by condition in the order written: the index of the
    first group all of whose conditions hold (an empty group never matches), or None.
    `CompiledRuleSet` must always give the same answer (a differential test checks it)."""
    for index, group in enumerate(groups):
        if group and all(compile_condition(condition)(facts) for condition in group):
            return index
    return None


# ---- explanation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionOutcome:
    condition: Condition
    actual_value: str | None
    matched: bool


@dataclass(frozen=True)
class GroupOutcome:
    index: int
    matched: bool
    conditions: list[ConditionOutcome]


@dataclass
class Explanation:
    """Why a lead would or would not be auto-registered by a rule set."""

    would_register: bool
    matched_group_index: int | None
    ignored_company: bool
    groups: list[GroupOutcome] = field(default_factory=list)
    reason: str = ""


def actual_value(facts: Facts, rule_field: RuleField) -> str | None:
    raw = facts.get(rule_field.value)
    if raw is None:
        return None
    return str(raw)


def explain(groups: RuleSet, facts: Facts, *, ignored_company: bool = False) -> Explanation:
    """Evaluate every condition of every group and say which group (if any) registers the lead.

    `ignored_company` is the answer of the partner's ignore list: such a lead never registers,
    but its conditions are still evaluated so the partner sees what would have matched.
    """
    outcomes: list[GroupOutcome] = []
    matched_group: int | None = None
    for index, group in enumerate(groups):
        conditions = [
            ConditionOutcome(
                condition=condition,
                actual_value=actual_value(facts, condition.field),
                matched=compile_condition(condition)(facts),
            )
            for condition in group
        ]
        group_matched = bool(conditions) and all(outcome.matched for outcome in conditions)
        outcomes.append(GroupOutcome(index=index, matched=group_matched, conditions=conditions))
        if group_matched and matched_group is None:
            matched_group = index
    if ignored_company:
        reason = "The lead's company is on the ignored companies list."
    elif matched_group is not None:
        reason = f"Group {matched_group} matches: all of its conditions hold."
    elif not groups:
        reason = "The rule set has no groups."
    else:
        reason = "No group has all of its conditions matching."
    would_register = matched_group is not None and not ignored_company
    return Explanation(
        would_register=would_register,
        matched_group_index=matched_group if would_register else None,
        ignored_company=ignored_company,
        groups=outcomes,
        reason=reason,
    )


def lead_facts(lead: Any) -> dict[str, Any]:
    """The values rules see for a lead (a `Lead` row or anything with the same attributes)."""
    email = getattr(lead, "email", "") or ""
    return {
        LeadField.EMAIL.value: email,
        LeadField.EMAIL_DOMAIN.value: email.rpartition("@")[2] if "@" in email else "",
        LeadField.COMPANY.value: lead.company,
        LeadField.FIRST_NAME.value: lead.first_name,
        LeadField.LAST_NAME.value: lead.last_name,
        LeadField.PHONE.value: lead.phone,
        LeadField.COUNTRY.value: lead.country,
        LeadField.INDUSTRY.value: lead.industry,
        LeadField.LOCALE.value: lead.locale,
        LeadField.NOTES.value: lead.notes,
        LeadField.EMPLOYEES.value: lead.employees,
        LeadField.ESTIMATED_VALUE.value: (
            None if lead.estimated_value is None else Decimal(str(lead.estimated_value))
        ),
    }
