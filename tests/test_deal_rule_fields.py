"""The rule engine over deal-registration fields: the compiled plan (what auto-approval uses)
gives the interpreted answer and explain's on generated rule sets mixing the registration's own
fields and custom fields (text and number), and saved rules read back as they were written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from models.deal_registrations import CustomFieldKind, DealRegistrationField
from services.deals.approval_rule_fields import CustomFieldRef, DealField, field_reader
from services.leads.rules import (
    Condition,
    Operator,
    RuleField,
    explain,
    interpret_first_matching_group,
    rule_set_from_json,
    rule_set_to_json,
)
from services.leads.rules_compiled import compile_rule_set

TEXT_ONLY = {Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.STARTS_WITH}
NUMBER_ONLY = {Operator.GREATER_THAN, Operator.LESS_THAN}
FIELDS: list[RuleField] = [
    *(field for field in DealField if field is not DealField.CUSTOM_FIELD),
    CustomFieldRef("region", is_number=False),
    CustomFieldRef("seats", is_number=True),
]
WORDS = ["eur", "EUR", " Cloud  suite ", "north", "initech.example", "é"]
NUMBERS = ["0", "10", "10.0", "-3", "120", "5000.00", "1e3"]


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(FIELDS))
    allowed = [o for o in Operator if o not in (TEXT_ONLY if field.is_number else NUMBER_ONLY)]
    operator = draw(st.sampled_from(allowed))
    pool = st.sampled_from(NUMBERS) if field.is_number else st.sampled_from(WORDS)
    if operator in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
        return Condition(field, operator)
    if operator in (Operator.IN_LIST, Operator.NOT_IN_LIST):
        return Condition(field, operator, None, tuple(draw(st.lists(pool, min_size=1, max_size=3))))
    return Condition(field, operator, draw(pool))


rule_sets = st.lists(st.lists(conditions(), min_size=0, max_size=4), min_size=0, max_size=6)
text_values = st.none() | st.sampled_from([*WORDS, "", "  ", "EUR ", "NORTH"])
number_values = st.none() | st.sampled_from([0, 10, 120, Decimal("10.0"), Decimal("-3"), 5000])
registrations = st.fixed_dictionaries(
    {field.value: number_values if field.is_number else text_values for field in FIELDS}
)


@hypothesis_settings(max_examples=400, deadline=None)
@given(groups=rule_sets, facts=registrations)
def test_the_compiled_plan_gives_the_interpreted_answer(
    groups: list[list[Condition]], facts: dict[str, Any]
):
    compiled = compile_rule_set(groups).first_matching_group(facts)
    assert compiled == interpret_first_matching_group(groups, facts)
    assert explain(groups, facts).matched_group_index == compiled


@hypothesis_settings(max_examples=100, deadline=None)
@given(groups=rule_sets)
def test_saved_rules_read_back_as_written(groups: list[list[Condition]]):
    definitions = [
        DealRegistrationField(key="region", label="Region", kind=CustomFieldKind.TEXT),
        DealRegistrationField(key="seats", label="Seats", kind=CustomFieldKind.NUMBER),
    ]
    stored = rule_set_to_json(groups)
    assert rule_set_from_json(stored, field_reader(definitions)) == groups
