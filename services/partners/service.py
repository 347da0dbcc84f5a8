"""Partner organisations and partner groups (static members, or a rule over partner fields)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.enums import GroupKind, PartnerStatus, PartnerTier, Role
from models.messaging import MessageStatus, MessageTargetGroup
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from models.users import ChannelManagerAssignment, User
from services.platform.errors import (
    ErrorCode,
    ServiceError,
    ValidationFailed,
    forbidden,
    not_found,
    with_field_prefix,
)
from services.platform.pagination import Page, paginate
from services.platform.validation import clean_search, clean_text, email_problem, normalise_email
from services.platform.viewer import Viewer
from services.users.service import NewUser, create_user_in_transaction

# Partner fields a dynamic group rule may test, and how to read each from a partner.
GROUP_RULE_FIELDS = ("status", "tier", "country")
GROUP_RULE_OPERATORS = ("equals", "not_equals", "in", "not_in")


@dataclass
class PartnerFields:
    name: str | None = None
    status: PartnerStatus | None = None
    tier: PartnerTier | None = None
    country: str | None = None
    invoice_company_name: str | None = None
    invoice_vat_number: str | None = None
    invoice_address: str | None = None
    invoice_email: str | None = None


# Fields a partner admin may change on their own org; the rest is the vendor's to set.
PARTNER_EDITABLE_FIELDS = frozenset(
    {"invoice_company_name", "invoice_vat_number", "invoice_address", "invoice_email"}
)

# Free-text partner fields: the input field they come from, their maximum length, multi-line.
_PARTNER_TEXT_FIELDS = {
    "name": ("name", 200, False),
    "invoice_company_name": ("invoicing.companyName", 200, False),
    "invoice_vat_number": ("invoicing.vatNumber", 50, False),
    "invoice_address": ("invoicing.address", 1000, True),
}
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def _validate_partner_fields(fields: PartnerFields, creating: bool) -> dict[str, Any]:
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {name: v for name, v in vars(fields).items() if v is not None}
    for name, (field, max_length, multiline) in _PARTNER_TEXT_FIELDS.items():
        if name in values:
            values[name] = clean_text(
                values[name], field, problems, max_length=max_length, multiline=multiline
            )
    if (creating or "name" in values) and not values.get("name"):
        problems.append(("name", "A partner needs a name."))
    if "country" in values:
        values["country"] = values["country"].strip().upper()
        if values["country"] and not _COUNTRY_CODE.match(values["country"]):
            problems.append(("country", "Use a two-letter country code such as NL or DE."))
    if "invoice_email" in values:
        values["invoice_email"] = normalise_email(values["invoice_email"])
        problem = values["invoice_email"] and email_problem(values["invoice_email"])
        if problem:
            problems.append(("invoicing.email", problem))
    if problems:
        raise ValidationFailed(problems)
    return values


async def _refuse_duplicate_partner_name(name: str, partner_id: int | None = None) -> None:
    """Partner names are unique regardless of case: "ACME" and "Acme" are the same partner."""
    duplicates = PartnerOrg.filter(name__iexact=name)
    if partner_id is not None:
        duplicates = duplicates.exclude(id=partner_id)
    if await duplicates.exists():
        raise ServiceError(ErrorCode.DUPLICATE, "A partner with this name already exists.", "name")


async def list_partners(
    viewer: Viewer,
    first: int | None = None,
    after: str | None = None,
    search: str | None = None,
    status: PartnerStatus | None = None,
) -> Page[PartnerOrg]:
    queryset = PartnerOrg.filter(viewer.partner_filter("id"))
    search = clean_search(search)
    if search:
        queryset = queryset.filter(name__icontains=search)
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, first, after)


async def get_partner(viewer: Viewer, partner_id: int) -> PartnerOrg:
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    partner = await PartnerOrg.get_or_none(id=partner_id)
    if partner is None:
        raise not_found("Partner")
    return partner


async def create_partner(
    viewer: Viewer, fields: PartnerFields, first_admin: NewUser, group_ids: Iterable[int] = ()
) -> PartnerOrg:
    """Create a partner org with its first partner admin (vendor admins only)."""
    viewer.require_vendor_admin()
    values = _validate_partner_fields(fields, creating=True)
    groups = await _static_groups(group_ids)
    first_admin.role = Role.PARTNER_ADMIN
    try:
        async with in_transaction():
            await _refuse_duplicate_partner_name(values["name"])
            partner = await PartnerOrg.create(**values)
            try:
                await create_user_in_transaction(first_admin, partner)
            except ServiceError as error:
                raise with_field_prefix(error, "firstAdmin") from None
            for group in groups:
                await PartnerGroupMember.create(group=group, partner=partner)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "A partner with this name already exists.", "name"
        ) from None
    return partner


async def update_partner(viewer: Viewer, partner_id: int, fields: PartnerFields) -> PartnerOrg:
    partner = await get_partner(viewer, partner_id)
    values = _validate_partner_fields(fields, creating=False)
    if viewer.is_partner_member:
        if not viewer.is_partner_admin:
            raise forbidden("Only a partner admin can change the organisation's details.")
        vendor_only = sorted(set(values) - PARTNER_EDITABLE_FIELDS)
        if vendor_only:
            raise forbidden(f"Only the vendor can change: {', '.join(vendor_only)}.")
    if viewer.role is Role.CHANNEL_MANAGER and ({"status", "tier", "name"} & set(values)):
        raise forbidden("Only vendor admins can change a partner's name, status or tier.")
    if not values:
        return partner
    if "name" in values:
        await _refuse_duplicate_partner_name(values["name"], partner.id)
    try:
        await PartnerOrg.filter(id=partner.id).update(**values)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "A partner with this name already exists.", "name"
        ) from None
    await partner.refresh_from_db()
    return partner


# ---- partner groups -------------------------------------------------------------------------


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
        elif not all(_COUNTRY_CODE.match(v) for v in values):
            problems.append((where, "Use two-letter country codes such as NL or DE."))
            continue
        normalised.append({"field": field, "operator": operator, "values": sorted(set(values))})
    if problems:
        raise ValidationFailed(problems)
    if not normalised:
        raise ValidationFailed([("rule", "A dynamic group needs at least one condition.")])
    return normalised


def _rule_filter(rule: list[dict[str, Any]]) -> Q:
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


async def list_groups(
    viewer: Viewer, first: int | None = None, after: str | None = None
) -> Page[PartnerGroup]:
    if not viewer.is_vendor_staff:
        raise forbidden("Only vendor staff can list partner groups.")
    return await paginate(PartnerGroup.all(), first, after)


async def get_group(viewer: Viewer, group_id: int, field: str = "id") -> PartnerGroup:
    if not viewer.is_vendor_staff:
        raise not_found("Partner group", field)
    group = await PartnerGroup.get_or_none(id=group_id)
    if group is None:
        raise not_found("Partner group", field)
    return group


async def _static_groups(group_ids: Iterable[int]) -> list[PartnerGroup]:
    wanted = sorted(set(group_ids))
    if not wanted:
        return []
    groups = await PartnerGroup.filter(id__in=wanted)
    if len(groups) != len(wanted):
        raise ServiceError(ErrorCode.NOT_FOUND, "Partner group not found.", "groupIds")
    if any(group.kind is GroupKind.DYNAMIC for group in groups):
        raise ServiceError(
            ErrorCode.INVALID,
            "Dynamic groups choose their members by rule: members cannot be added by hand.",
            "groupIds",
        )
    return groups


async def save_group(
    viewer: Viewer,
    group_id: int | None,
    name: str | None,
    description: str | None,
    kind: GroupKind | None,
    rule: list[dict[str, Any]] | None,
) -> PartnerGroup:
    """Create (group_id None) or update a partner group (vendor admins only)."""
    viewer.require_vendor_admin()
    group = await get_group(viewer, group_id) if group_id is not None else None
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    if name is not None:
        values["name"] = clean_text(name, "name", problems, max_length=200)
    if (group is None or name is not None) and not values.get("name"):
        problems.append(("name", "A group needs a name."))
    if description is not None:
        values["description"] = clean_text(
            description, "description", problems, max_length=2000, multiline=True
        )
    if problems:
        raise ValidationFailed(problems)
    effective_kind = kind or (group.kind if group else GroupKind.STATIC)
    values["kind"] = effective_kind
    if rule is not None:
        if effective_kind is GroupKind.STATIC:
            if rule:
                raise ValidationFailed([("rule", "Only dynamic groups have a rule.")])
            values["rule"] = []
        else:
            values["rule"] = validate_group_rule(rule)
    elif effective_kind is GroupKind.DYNAMIC and not (group and group.rule):
        raise ValidationFailed([("rule", "A dynamic group needs a rule.")])
    try:
        async with in_transaction():
            if (
                "name" in values
                and await PartnerGroup.filter(name__iexact=values["name"])
                .exclude(id=group.id if group else 0)
                .exists()
            ):
                raise ServiceError(
                    ErrorCode.DUPLICATE, "A group with this name already exists.", "name"
                )
            if group is None:
                group = await PartnerGroup.create(**values)
            else:
                if effective_kind is GroupKind.DYNAMIC:
                    await PartnerGroupMember.filter(group_id=group.id).delete()
                else:
                    values["rule"] = []
                await PartnerGroup.filter(id=group.id).update(**values)
                await group.refresh_from_db()
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "A group with this name already exists.", "name"
        ) from None
    return group


async def delete_group(viewer: Viewer, group_id: int) -> None:
    """Delete a group, unless scheduled messages target it: they would lose their audience."""
    group = await get_group(viewer, group_id)
    viewer.require_vendor_admin()
    async with in_transaction():
        scheduled = await MessageTargetGroup.filter(
            group_id=group.id, message__status=MessageStatus.SCHEDULED
        ).count()
        if scheduled:
            messages = "message targets" if scheduled == 1 else "messages target"
            raise ServiceError(
                ErrorCode.IN_USE,
                f"{scheduled} scheduled {messages} this group: return them to draft or change "
                "their audience before deleting it.",
                "id",
            )
        await group.delete()


async def set_group_membership(
    viewer: Viewer, group_id: int, partner_ids: Iterable[int], member: bool
) -> PartnerGroup:
    """Add (member=True) or remove partners from a static group (vendor admins only)."""
    viewer.require_vendor_admin()
    group = await get_group(viewer, group_id, "groupId")
    if group.kind is GroupKind.DYNAMIC:
        raise ServiceError(
            ErrorCode.INVALID,
            "Dynamic groups choose their members by rule: members cannot be added by hand.",
            "groupId",
        )
    wanted = sorted(set(partner_ids))
    found = await PartnerOrg.filter(id__in=wanted).values_list("id", flat=True)
    if len(found) != len(wanted):
        raise ServiceError(ErrorCode.NOT_FOUND, "Partner not found.", "partnerIds")
    async with in_transaction():
        if member:
            present = set(
                await PartnerGroupMember.filter(
                    group_id=group.id, partner_id__in=wanted
                ).values_list("partner_id", flat=True)
            )
            await PartnerGroupMember.bulk_create(
                [
                    PartnerGroupMember(group_id=group.id, partner_id=p)
                    for p in wanted
                    if p not in present
                ]
            )
        else:
            await PartnerGroupMember.filter(group_id=group.id, partner_id__in=wanted).delete()
    return group


async def groups_of_partners(
    viewer: Viewer, partner_ids: list[int]
) -> dict[int, list[PartnerGroup]]:
    """Every group each partner belongs to, static or dynamic, in three queries for any number.

    Groups are the vendor's own segmentation of its partners (who gets which message, which
    leads): vendor staff see them, partners do not, not even their own org's.
    """
    if not viewer.is_vendor_staff:
        raise forbidden("Only vendor staff can see partner groups.")
    partner_ids = [p for p in partner_ids if viewer.can_see_partner(p)]
    result: dict[int, list[PartnerGroup]] = defaultdict(list)
    # Plain rows where no model object is needed: this runs for every page of partners.
    pairs = await PartnerGroupMember.filter(partner_id__in=partner_ids).values_list(
        "partner_id", "group_id"
    )
    static_ids = sorted({group_id for _, group_id in pairs})
    groups = await PartnerGroup.filter(Q(id__in=static_ids) | Q(kind=GroupKind.DYNAMIC))
    groups_by_id = {group.id: group for group in groups}
    for partner_id, group_id in pairs:
        result[partner_id].append(groups_by_id[group_id])
    dynamic_groups = [group for group in groups if group.kind is GroupKind.DYNAMIC]
    if dynamic_groups:
        partners = await PartnerOrg.filter(id__in=partner_ids).values(*GROUP_RULE_FIELDS, "id")
        for partner in partners:
            result[partner["id"]].extend(
                g for g in dynamic_groups if partner_matches_rule(partner, g.rule)
            )
    for groups in result.values():
        groups.sort(key=lambda g: g.id)
    return result


async def partner_ids_in_groups(group_ids: Iterable[int]) -> set[int]:
    """The partners that belong to any of these groups now (static members or matching rules)."""
    groups = await PartnerGroup.filter(id__in=list(group_ids))
    static_ids = [g.id for g in groups if g.kind is GroupKind.STATIC]
    members = set(
        await PartnerGroupMember.filter(group_id__in=static_ids).values_list(
            "partner_id", flat=True
        )
    )
    for group in groups:
        if group.kind is GroupKind.DYNAMIC:
            members.update(
                await PartnerOrg.filter(_rule_filter(group.rule)).values_list("id", flat=True)
            )
    return members


async def members_of_groups(viewer: Viewer, group_ids: list[int]) -> dict[int, list[PartnerOrg]]:
    """The partners (visible to the viewer) in each group, for a DataLoader."""
    groups = await PartnerGroup.filter(id__in=group_ids)
    result: dict[int, list[PartnerOrg]] = {g: [] for g in group_ids}
    static_ids = [g.id for g in groups if g.kind is GroupKind.STATIC]
    memberships = await PartnerGroupMember.filter(
        viewer.partner_filter("partner_id"), group_id__in=static_ids
    ).select_related("partner")
    for membership in memberships:
        result[membership.group_id].append(membership.partner)  # type: ignore[attr-defined]
    dynamic_groups = [g for g in groups if g.kind is GroupKind.DYNAMIC]
    if dynamic_groups:
        visible_partners = await PartnerOrg.filter(viewer.partner_filter("id"))
        for group in dynamic_groups:
            result[group.id] = [p for p in visible_partners if partner_matches_rule(p, group.rule)]
    for partners in result.values():
        partners.sort(key=lambda p: p.id)
    return result


async def set_managed_partners(viewer: Viewer, manager_id: int, partner_ids: Iterable[int]) -> None:
    """Replace the set of partners a channel manager looks after (vendor admins only)."""
    viewer.require_vendor_admin()
    manager = await User.get_or_none(id=manager_id, role=Role.CHANNEL_MANAGER)
    if manager is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "Channel manager not found.", "managerId")
    wanted = sorted(set(partner_ids))
    found = await PartnerOrg.filter(id__in=wanted).values_list("id", flat=True)
    if len(found) != len(wanted):
        raise ServiceError(ErrorCode.NOT_FOUND, "Partner not found.", "partnerIds")
    async with in_transaction():
        await ChannelManagerAssignment.filter(manager_id=manager.id).delete()
        await ChannelManagerAssignment.bulk_create(
            [ChannelManagerAssignment(manager_id=manager.id, partner_id=p) for p in wanted]
        )


async def partners_by_ids(viewer: Viewer, partner_ids: list[int]) -> dict[int, PartnerOrg]:
    """The partners among these ids that the viewer may see, by id, in one query."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    return {partner.id: partner for partner in await PartnerOrg.filter(id__in=visible)}
