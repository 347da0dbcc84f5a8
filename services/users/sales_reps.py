"""External sales reps of a partner org: no portal login, they receive lead notifications only."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from models.users import SalesRep
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.nested_pages import counts_per_parent, pages_per_parent
from services.platform.pagination import Page, PageWindow
from services.platform.validation import validate_email, validated_text
from services.platform.viewer import Viewer


@dataclass
class SalesRepFields:
    full_name: str | None = None
    email: str | None = None
    is_default_lead_recipient: bool | None = None


def _checked(fields: SalesRepFields, creating: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    if fields.full_name is not None:
        values["full_name"] = validated_text(
            fields.full_name, "fullName", max_length=200, required=True
        )
    elif creating:
        raise ValidationFailed([("fullName", "A sales rep needs a name.")])
    if fields.email is not None:
        values["email"] = validate_email(fields.email)
    elif creating:
        raise ValidationFailed([("email", "A sales rep needs an email address.")])
    if fields.is_default_lead_recipient is not None:
        values["is_default_lead_recipient"] = fields.is_default_lead_recipient
    return values


def _require_manager_of(viewer: Viewer, partner_id: int) -> None:
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    if not viewer.can_manage_partner_users(partner_id):
        raise forbidden("Only an admin of the organisation can manage its sales reps.")


async def sales_reps_of_partners(
    viewer: Viewer, partner_ids: list[int], window: PageWindow
) -> dict[int, Page[SalesRep]]:
    """A page of the sales reps of each partner the viewer may see, in one query (DataLoader)."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    pages = await pages_per_parent(SalesRep.all(), "partner_id", visible, window)
    return {p: pages.get(p) or Page(items=[], has_next_page=False) for p in partner_ids}


async def sales_rep_counts_of_partners(viewer: Viewer, partner_ids: list[int]) -> dict[int, int]:
    """How many sales reps each partner the viewer may see has, in one query."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    counts = await counts_per_parent(SalesRep.all(), "partner_id", visible)
    return {p: counts.get(p, 0) for p in partner_ids}


async def sales_reps_by_ids(viewer: Viewer, sales_rep_ids: list[int]) -> dict[int, SalesRep]:
    """The sales reps among these of partners the viewer may see, by id, in one query."""
    wanted = sorted(set(sales_rep_ids))
    if not wanted:
        return {}
    return {
        rep.id: rep
        for rep in await SalesRep.filter(id__in=wanted)
        if viewer.can_see_partner(rep.partner_id)  # type: ignore[attr-defined]
    }


async def get_sales_rep(viewer: Viewer, sales_rep_id: int) -> SalesRep:
    """A sales rep of a partner the viewer may see (as `Partner.salesReps` shows them)."""
    rep = await SalesRep.get_or_none(id=sales_rep_id)
    if rep is None or not viewer.can_see_partner(rep.partner_id):  # type: ignore[attr-defined]
        raise not_found("Sales rep")
    return rep


async def create_sales_rep(
    viewer: Viewer, partner_id: int | None, fields: SalesRepFields
) -> SalesRep:
    if partner_id is None and viewer.is_partner_member:
        partner_id = viewer.partner_id
    if partner_id is None:
        raise ValidationFailed([("partnerId", "Say which partner the sales rep works for.")])
    _require_manager_of(viewer, partner_id)
    values = _checked(fields, creating=True)
    if await SalesRep.filter(partner_id=partner_id, email=values["email"]).exists():
        raise ServiceError(ErrorCode.DUPLICATE, "This sales rep is already listed.", "email")
    try:
        return await SalesRep.create(partner_id=partner_id, **values)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "This sales rep is already listed.", "email"
        ) from None


async def _get_managed(viewer: Viewer, sales_rep_id: int) -> SalesRep:
    rep = await SalesRep.get_or_none(id=sales_rep_id)
    if rep is None or not viewer.can_see_partner(rep.partner_id):  # type: ignore[attr-defined]
        raise not_found("Sales rep")
    _require_manager_of(viewer, rep.partner_id)  # type: ignore[attr-defined]
    return rep


async def update_sales_rep(viewer: Viewer, sales_rep_id: int, fields: SalesRepFields) -> SalesRep:
    rep = await _get_managed(viewer, sales_rep_id)
    values = _checked(fields, creating=False)
    if not values:
        return rep
    duplicate = (
        "email" in values
        and await SalesRep.filter(partner_id=rep.partner_id, email=values["email"])  # type: ignore[attr-defined]
        .exclude(id=rep.id)
        .exists()
    )
    if duplicate:
        raise ServiceError(ErrorCode.DUPLICATE, "This sales rep is already listed.", "email")
    await SalesRep.filter(id=rep.id).update(**values)
    await rep.refresh_from_db()
    return rep


async def delete_sales_rep(viewer: Viewer, sales_rep_id: int) -> None:
    rep = await _get_managed(viewer, sales_rep_id)
    await rep.delete()
