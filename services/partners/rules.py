"""Dynamic partner group rules: conditions over partner fields (status, tier, country), their
validation, the rule as a database filter, and the rule tested on one partner."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from models.enums import PartnerStatus, PartnerTier
from models.partners import PartnerOrg
from services.platform.errors import ValidationFailed


class GroupRuleField(StrEnum):
    """A partner field a dynamic group rule may test (the stored rule holds the value)."""

    STATUS = "status"
    TIER = "tier"
    COUNTRY = "country"


class GroupRuleOperator(StrEnum):
    """How a condition tests its field: one value (equals) or a list (in)."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"


# Partner fields a dynamic group rule may test, and the operators it may use.
GROUP_RULE_FIELDS = tuple(f.value for f in GroupRuleField)
GROUP_RULE_OPERATORS = tuple(o.value for o in GroupRuleOperator)
# A partner's country, and a country a rule tests: a two-letter code such as NL.
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def validate_group_rule(rule: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a dynamic group rule and return it normalised (values lower-cased, lists sorted)."""
    problems: list[tuple[str, str]] = []
    normalised: list[dict[str, Any]] = []
    allowed_values = {
        "status": {s.value for s in PartnerStatus},
        "tier": {t.value for t in PartnerTier},
    }
    for index, condition in enumerate(rule):
        where = f"rule[{index}]"
        field, operator = condition.get("field"), condition.get("operator")
        values = [str(v).strip() for v in condition.get("values") or []]
        if field not in GROUP_RULE_FIELDS:
            problems.append(
                (where, f"Unknown field {field!r}: use {', '.join(GROUP_RULE_FIELDS)}.")
            )
            continue
        if operator not in GROUP_RULE_OPERATORS:
            problems.append(
                (where, f"Unknown operator {operator!r}: use {', '.join(GROUP_RULE_OPERATORS)}.")
            )
            continue
        if operator in ("equals", "not_equals") and len(values) != 1:
            problems.append((where, f"The operator {operator} needs exactly one value."))
            continue
        if not values:
            problems.append((where, f"The operator {operator} needs at least one value."))
            continue
        values = [v.upper() if field == "country" else v.lower() for v in values]
        if field in allowed_values:
            unknown = [v for v in values if v not in allowed_values[field]]
            if unknown:
                problems.append(
                    (
                        where,
                        f"Unknown {field} value(s): {', '.join(unknown)}. "
                        f"Use {', '.join(sorted(allowed_values[field]))}.",
                    )
                )
                continue
        elif not all(COUNTRY_CODE.match(v) for v in values):
            problems.append((where, "Use two-letter country codes such as NL or DE."))
            continue
        normalised.append({"field": field, "operator": operator, "values": sorted(set(values))})
    if problems:
        raise ValidationFailed(problems)
    if not normalised:
        raise ValidationFailed([("rule", "A dynamic group needs at least one condition.")])
    return normalised


def rule_filter(rule: list[dict[str, Any]]) -> Q:
    """The partners that meet every condition of a rule, as a filter on PartnerOrg."""
    query = Q()
    for condition in rule:
        field, operator, values = condition["field"], condition["operator"], condition["values"]
        if operator in ("equals", "in"):
            query &= Q(**{f"{field}__in": values})
        else:
            query &= ~Q(**{f"{field}__in": values})
    return query


def partner_matches_rule(partner: PartnerOrg | dict[str, Any], rule: list[dict[str, Any]]) -> bool:
    """Whether a partner (a model, or a row of its rule fields) meets every condition of a rule."""
    for condition in rule:
        field = condition["field"]
        value = str(partner[field] if isinstance(partner, dict) else getattr(partner, field))
        inside = value in condition["values"]
        if inside != (condition["operator"] in ("equals", "in")):
            return False
    return True
