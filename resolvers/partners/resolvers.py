"""Partner organisations and partner groups."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from models.enums import GroupKind, PartnerStatus
from models.partners import PartnerGroup, PartnerOrg
from resolvers.platform.permissions import viewer_of
from services.partners import groups as partner_groups
from services.partners import service as partners
from services.partners.service import PartnerFields
from services.platform.pagination import Page, PageWindow
from services.platform.records import ModelRecord
from services.users.service import NewUser


async def list_partners(
    info: Info,
    window: PageWindow,
    search: str | None,
    status: PartnerStatus | None,
) -> Page[PartnerOrg | ModelRecord]:
    return await partners.list_partners(viewer_of(info), window, search, status)


async def get_partner(info: Info, partner_id: int) -> PartnerOrg:
    return await partners.get_partner(viewer_of(info), partner_id)


async def create_partner(
    info: Info, fields: PartnerFields, first_admin: NewUser, group_ids: list[int]
) -> PartnerOrg:
    return await partners.create_partner(viewer_of(info), fields, first_admin, group_ids)


async def update_partner(info: Info, partner_id: int, fields: PartnerFields) -> PartnerOrg:
    return await partners.update_partner(viewer_of(info), partner_id, fields)


async def list_groups(info: Info, window: PageWindow) -> Page[PartnerGroup]:
    return await partner_groups.list_groups(viewer_of(info), window)


async def get_group(info: Info, group_id: int) -> PartnerGroup:
    return await partner_groups.get_group(viewer_of(info), group_id)


async def groups_by_ids(group_ids: list[int]) -> list[PartnerGroup]:
    return await partner_groups.groups_by_ids(group_ids)


async def save_group(
    info: Info,
    group_id: int | None,
    name: str | None,
    description: str | None,
    kind: GroupKind | None,
    rule: list[dict[str, Any]] | None,
) -> PartnerGroup:
    return await partner_groups.save_group(viewer_of(info), group_id, name, description, kind, rule)


async def delete_group(info: Info, group_id: int) -> None:
    await partner_groups.delete_group(viewer_of(info), group_id)


async def set_group_membership(
    info: Info, group_id: int, partner_ids: list[int], member: bool
) -> PartnerGroup:
    return await partner_groups.set_group_membership(viewer_of(info), group_id, partner_ids, member)


async def set_managed_partners(info: Info, manager_id: int, partner_ids: list[int]) -> None:
    await partners.set_managed_partners(viewer_of(info), manager_id, partner_ids)
