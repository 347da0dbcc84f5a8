"""Renewal ownership, upcoming renewals and reminder offsets (thin calls into
services/renewals/)."""

from __future__ import annotations

from strawberry.types import Info

from models.renewals import RenewalOwner, RenewalOwnerChoice
from resolvers.platform.permissions import viewer_of
from services.platform.errors import ValidationFailed
from services.platform.pagination import PageWindow
from services.platform.viewer import Viewer
from services.renewals import notices, upcoming
from services.renewals import service as renewals
from services.renewals.service import CustomerRenewalChoice, PartnerRenewalDefault
from services.renewals.upcoming import UpcomingPage


def _own_partner(viewer: Viewer, partner_id: int | None) -> int:
    if partner_id is not None:
        return partner_id
    if viewer.partner_id is None:
        raise ValidationFailed([("partnerId", "Say which partner.")])
    return viewer.partner_id


async def upcoming_renewals(
    info: Info, days: int, partner_id: int | None, window: PageWindow
) -> UpcomingPage:
    return await upcoming.upcoming_renewals(viewer_of(info), days, partner_id, window=window)


async def partner_default(info: Info, partner_id: int | None) -> PartnerRenewalDefault:
    viewer = viewer_of(info)
    return await renewals.partner_renewal_default(viewer, _own_partner(viewer, partner_id))


async def set_partner_default(
    info: Info, partner_id: int | None, owner: RenewalOwner, contact_user_id: int | None
) -> PartnerRenewalDefault:
    viewer = viewer_of(info)
    return await renewals.set_partner_renewal_default(
        viewer, _own_partner(viewer, partner_id), owner, contact_user_id
    )


async def customer_choice(info: Info, customer_id: int) -> CustomerRenewalChoice:
    return await renewals.customer_renewal_choice(viewer_of(info), customer_id)


async def set_customer_choice(
    info: Info, customer_id: int, owner: RenewalOwnerChoice, contact_user_id: int | None
) -> CustomerRenewalChoice:
    return await renewals.set_customer_renewal_owner(
        viewer_of(info), customer_id, owner, contact_user_id
    )


async def reminder_offsets(info: Info) -> list[int]:
    viewer_of(info)
    return await notices.reminder_offsets()


async def set_reminder_offsets(info: Info, offsets: list[int]) -> list[int]:
    return await notices.set_reminder_offsets(viewer_of(info), offsets)
