"""Partner groups: the vendor's own segmentation of its partners (who gets which message, which
leads). A static group lists its members; a dynamic group has a rule over partner fields
(services/partners/rules.py) and its members are whoever meets it now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.enums import GroupKind
from models.messaging import MessageStatus, MessageTargetGroup
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from services.partners.rules import (
    GROUP_RULE_FIELDS,
    partner_matches_rule,
    rule_filter,
    validate_group_rule,
)
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import clean_text
from services.platform.viewer import Viewer


async def list_groups(viewer: Viewer, window: PageWindow = PageWindow()) -> Page[PartnerGroup]:
    if not viewer.is_vendor_staff:
        raise forbidden("Only vendor staff can list partner groups.")
    return await paginate(PartnerGroup.all(), window)


async def get_group(viewer: Viewer, group_id: int, field: str = "id") -> PartnerGroup:
    if not viewer.is_vendor_staff:
        raise not_found("Partner group", field)
    group = await PartnerGroup.get_or_none(id=group_id)
    if group is None:
        raise not_found("Partner group", field)
    return group


async def static_groups(group_ids: Iterable[int]) -> list[PartnerGroup]:
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

    Vendor staff see the groups of the partners they may see; a partner's own members see their
    own org's groups (never another partner's: partners they may not see get none).
    """
    return await groups_containing([p for p in partner_ids if viewer.can_see_partner(p)])


async def groups_containing(partner_ids: list[int]) -> dict[int, list[PartnerGroup]]:
    """Every group each partner belongs to, static or dynamic, by group id, for any caller:
    whoever calls it decides what may be shown (`groups_of_partners` for a viewer)."""
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
                await PartnerOrg.filter(rule_filter(group.rule)).values_list("id", flat=True)
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


async def groups_by_ids(group_ids: Iterable[int]) -> list[PartnerGroup]:
    """The groups with these ids, by id (those that exist)."""
    return await PartnerGroup.filter(id__in=list(group_ids)).order_by("id")
