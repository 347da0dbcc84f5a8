"""Differential test of the rule compiler: the compiled plan (`compile_rule_set`, what
auto-registration records) against the interpreted reference (`interpret_first_matching_group`,
condition by condition in the order written) and against `explain`, on generated rule sets and
leads: every operator on every field, lists, duplicates, case and whitespace variants, numbers
written in several ways, empty and missing values, empty groups."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.leads.rules import (
    NUMBER_FIELDS,
    Condition,
    LeadField,
    Operator,
    explain,
    interpret_first_matching_group,
)
from services.leads.rules_compiled import compile_rule_set

TEXT_ONLY = {Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.STARTS_WITH}
NUMBER_ONLY = {Operator.GREATER_THAN, Operator.LESS_THAN}
WORDS = ["acme", "ACME", " Acme  Corp ", "NL", "Straße", "STRASSE", "é"]
# Lead values: the same words in other cases and spacing, so that conditions often meet a value
# equal to their target only once both are normalised.
LEAD_WORDS = [*WORDS, *(w.upper() for w in WORDS), *(f" {w.lower()}  " for w in WORDS)]
NUMBERS = ["0", "10", "10.0", "50", "-3", "120", "5000", "5000.00", "99.5", "1e3"]


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(list(LeadField)))
    number = field in NUMBER_FIELDS
    allowed = [o for o in Operator if o not in (TEXT_ONLY if number else NUMBER_ONLY)]
    operator = draw(st.sampled_from(allowed))
    pool = st.sampled_from(NUMBERS) if number else st.sampled_from(WORDS) | st.text(min_size=1)
    if not number and draw(st.booleans()):
        pool = st.sampled_from(WORDS)  # mostly words leads also hold
    if operator in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
        return Condition(field, operator)
    if operator in (Operator.IN_LIST, Operator.NOT_IN_LIST):
        return Condition(field, operator, None, tuple(draw(st.lists(pool, min_size=1, max_size=4))))
    return Condition(field, operator, draw(pool))


rule_sets = st.lists(st.lists(conditions(), min_size=0, max_size=5), min_size=0, max_size=8)
word = st.sampled_from(LEAD_WORDS)
text_values = st.one_of(
    word, word, word, st.none(), st.sampled_from(["", "  "]), st.text(max_size=6)
)
number_values = st.none() | st.sampled_from(
    [0, 10, 50, 120, 5000, 1000, Decimal("10.0"), Decimal("99.50"), Decimal("-3"), "5000.00", ""]
)
leads = st.fixed_dictionaries(
    {field.value: number_values if field in NUMBER_FIELDS else text_values for field in LeadField}
)


@hypothesis_settings(max_examples=600, deadline=None)
@given(groups=rule_sets, lead=leads)
def test_the_compiled_plan_gives_the_interpreted_answer(
    groups: list[list[Condition]], lead: dict[str, Any]
):
    compiled = compile_rule_set(groups).first_matching_group(lead)
    assert compiled == interpret_first_matching_group(groups, lead)
    explanation = explain(groups, lead)
    # The group auto-registration records is the one explain names.
    assert explanation.matched_group_index == compiled
    assert explanation.would_register is (compiled is not None)
    for group, outcome in zip(groups, explanation.groups, strict=True):
        assert outcome.matched is (bool(group) and all(c.matched for c in outcome.conditions))
        # Each condition alone, and twice in one group (so that one copy is a lookup key and
        # the other a test): the compiled plan and explain's outcome agree.
        for condition, condition_outcome in zip(group, outcome.conditions, strict=True):
            alone = compile_rule_set([[condition]]).first_matching_group(lead)
            assert (alone == 0) is condition_outcome.matched
            twice = compile_rule_set([[condition, replace(condition)]]).first_matching_group(lead)
            assert (twice == 0) is condition_outcome.matched


@hypothesis_settings(max_examples=200, deadline=None)
@given(groups=rule_sets, lead=leads)
def test_the_plan_does_not_depend_on_where_a_group_stands(
    groups: list[list[Condition]], lead: dict[str, Any]
):
    """Reversing the rule set (and each group's conditions) finds the mirror of the last
    matching group: the dispatch tables and condition reordering keep group order exact."""
    reversed_groups = [list(reversed(group)) for group in reversed(groups)]
    forward = [
        index
        for index in range(len(groups))
        if compile_rule_set([groups[index]]).first_matching_group(lead) == 0
    ]
    mirrored = compile_rule_set(reversed_groups).first_matching_group(lead)
    assert mirrored == (len(groups) - 1 - forward[-1] if forward else None)
