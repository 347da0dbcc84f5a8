"""The compiled plan of a rule set: what evaluates the auto-registration rules of many leads
quickly. It must always give the answer of the reference semantics in `services.leads.rules`
(`interpret_first_matching_group`); a differential test checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial
from operator import is_, is_not
from typing import Any

from services.leads.rules import (
    Condition,
    Facts,
    Operator,
    RuleSet,
    compile_predicate,
    normalise_text,
    parse_number,
)

# How likely a condition is to fail, most likely first: a group's conditions are tried in this
# order (AND commutes, and conditions have no side effects), so that a group that does not
# match is usually dismissed by its first test.
_FAILS_FIRST = {
    Operator.EQUALS: 0,
    Operator.IN_LIST: 1,
    Operator.STARTS_WITH: 2,
    Operator.CONTAINS: 3,
    Operator.GREATER_THAN: 4,
    Operator.LESS_THAN: 4,
    Operator.IS_EMPTY: 5,
    Operator.NOT_CONTAINS: 6,
    Operator.NOT_EQUALS: 7,
    Operator.NOT_IN_LIST: 7,
    Operator.IS_NOT_EMPTY: 8,
}
# A predicate of a compiled group: the slot of the field's normalised value, and the test.
SlotTest = tuple[int, Callable[[Any], Any]]


def _plan_test(condition: Condition) -> Callable[[Any], Any]:
    """A condition's test for a compiled plan: where the operator allows it, a bound method of
    the target itself (a C call, no Python frame), else the predicate of `compile_predicate`.
    Only its truth is used. Text values are always `str` here, numbers a Decimal or None."""
    operator = condition.operator
    if condition.field.is_number:
        if operator is Operator.IS_EMPTY:
            return partial(is_, None)
        if operator is Operator.IS_NOT_EMPTY:
            return partial(is_not, None)
        return compile_predicate(condition)[1]
    if operator is Operator.EQUALS:
        return normalise_text(condition.value).__eq__
    if operator is Operator.NOT_EQUALS:
        return normalise_text(condition.value).__ne__
    if operator is Operator.IN_LIST:
        return frozenset(normalise_text(v) for v in condition.values).__contains__
    if operator is Operator.IS_EMPTY:
        return "".__eq__
    if operator is Operator.IS_NOT_EMPTY:
        return "".__ne__
    return compile_predicate(condition)[1]


def _dispatch_keys(condition: Condition) -> frozenset[Any] | None:
    """The normalised values that satisfy an `equals` / `in list` condition (exactly: a value
    passes if and only if it is one of them), or None for any other operator."""
    if condition.operator is Operator.EQUALS:
        raw: Sequence[str] = () if condition.value is None else (condition.value,)
    elif condition.operator is Operator.IN_LIST:
        raw = condition.values
    else:
        return None
    if condition.field.is_number:
        # Unparseable targets never match (v == None is never true for a number).
        return frozenset(n for n in map(parse_number, raw) if n is not None)
    return frozenset(normalise_text(value) for value in raw)


Evaluate = Callable[[Facts], "int | None"]


def _plan(
    text_fields: tuple[str, ...],
    number_fields: tuple[str, ...],
    tables: tuple[tuple[int, dict[Any, tuple[int, ...]]], ...],
    unkeyed: tuple[int, ...],
    checks: tuple[tuple[SlotTest, ...], ...],
) -> Evaluate:
    """The evaluation function of a compiled rule set: a closure over its plan, so that a call
    reads the plan from local cells rather than attributes, with nothing interpreted per lead
    but the lookups and the remaining tests of the candidate groups."""
    join = " ".join
    always = list(unkeyed)

    def first_matching_group(facts: Facts) -> int | None:
        get = facts.get
        values: list[Any] = []
        append = values.append
        for name in text_fields:
            raw = get(name)
            append("" if raw is None else join(str(raw).split()).casefold())
        for name in number_fields:
            raw = get(name)
            append(
                None
                if raw is None or raw == ""
                else raw
                if type(raw) is Decimal
                else Decimal(str(raw))
            )
        candidates = always.copy()
        for slot, table in tables:
            keyed = table.get(values[slot])
            if keyed is not None:
                candidates += keyed
        if len(candidates) > 1:
            candidates.sort()
        for index in candidates:
            for slot, test in checks[index]:
                if not test(values[slot]):
                    break
            else:
                return index
        return None

    return first_matching_group


@dataclass(frozen=True)
class CompiledRuleSet:
    """A rule set compiled once into a lookup-and-test plan, for evaluating many leads quickly.

    - Each lead's fields are normalised once into a list (text fields, then number fields).
    - Every group with an `equals` or `in list` condition is filed, under that condition's
      accepted values, in a table for its field: one dictionary lookup per such field finds the
      groups whose key condition holds for the lead; the other groups are never tried.
    - The candidates (those, plus the groups without such a condition) are tried in index
      order, each group's remaining conditions most-likely-to-fail first; the first group whose
      conditions all hold is the answer, exactly as `interpret_first_matching_group` says.

    Closures and dictionaries only: nothing of the rule set is ever turned into source code.
    """

    text_fields: tuple[str, ...]
    number_fields: tuple[str, ...]
    # (slot, table): the lead's value in `slot` -> the groups keyed on it, in index order
    tables: tuple[tuple[int, dict[Any, tuple[int, ...]]], ...]
    # groups that can match but have no key condition, in index order
    unkeyed: tuple[int, ...]
    # per group index: the tests still to pass once it is a candidate
    checks: tuple[tuple[SlotTest, ...], ...]
    # facts -> the index of the first matching group, or None
    first_matching_group: Evaluate = field(compare=False, repr=False)


def _compile(groups: tuple[tuple[Condition, ...], ...]) -> CompiledRuleSet:
    used = sorted(
        {condition.field for group in groups for condition in group}, key=lambda f: f.value
    )
    text_fields = tuple(f.value for f in used if not f.is_number)
    number_fields = tuple(f.value for f in used if f.is_number)
    slots = {name: slot for slot, name in enumerate(text_fields + number_fields)}
    tables: dict[int, dict[Any, list[int]]] = {}
    unkeyed: list[int] = []
    checks: list[tuple[SlotTest, ...]] = []
    for index, group in enumerate(groups):
        ordered = sorted(group, key=lambda condition: _FAILS_FIRST[condition.operator])
        key_condition = None
        keys: frozenset[Any] = frozenset()
        for condition in ordered:
            found = _dispatch_keys(condition)
            if found is not None and (key_condition is None or len(found) < len(keys)):
                key_condition, keys = condition, found
        rest = [c for c in ordered if c is not key_condition] if key_condition else ordered
        checks.append(
            tuple((slots[condition.field.value], _plan_test(condition)) for condition in rest)
        )
        if not group:
            continue  # an empty group never matches: never a candidate
        if key_condition is None:
            unkeyed.append(index)
            continue
        table = tables.setdefault(slots[key_condition.field.value], {})
        for key in keys:
            table.setdefault(key, []).append(index)
    plan = (
        text_fields,
        number_fields,
        tuple(
            (slot, {key: tuple(indexes) for key, indexes in table.items()})
            for slot, table in sorted(tables.items())
        ),
        tuple(unkeyed),
        tuple(checks),
    )
    return CompiledRuleSet(*plan, first_matching_group=_plan(*plan))


@lru_cache(maxsize=256)
def _compile_cached(groups: tuple[tuple[Condition, ...], ...]) -> CompiledRuleSet:
    return _compile(groups)


def compile_rule_set(groups: RuleSet) -> CompiledRuleSet:
    """The rule set compiled into a `CompiledRuleSet`, once per distinct rule set (cached by
    content, so each saved version is compiled when it is first loaded, then reused)."""
    return _compile_cached(tuple(tuple(group) for group in groups))


def first_matching_group(groups: RuleSet, facts: Facts) -> int | None:
    """The index of the first group the lead matches, or None."""
    return compile_rule_set(groups).first_matching_group(facts)
