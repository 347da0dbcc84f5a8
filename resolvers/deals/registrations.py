"""Deal registrations: thin calls into services/deals/ (registrations, review, queries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from strawberry.types import Info

from models.deal_registrations import DealRegistration, DealRegistrationEvent, DirectDeal
from resolvers.platform.permissions import viewer_of
from services.deals import registration_queries as queries
from services.deals import registration_report, registrations
from services.deals import registration_review as review
from services.deals.registration_access import visible_registration
from services.deals.registration_queries import RegistrationCounts, RegistrationFilter
from services.deals.registration_report import DecisionFigures
from services.deals.registrations import RegistrationFields
from services.platform.pagination import Page, PageWindow
from services.platform.viewer import Viewer


async def get_registration(info: Info, registration_id: int) -> DealRegistration:
    return await visible_registration(viewer_of(info), registration_id)


async def list_registrations(
    info: Info, wanted: RegistrationFilter, window: PageWindow
) -> Page[DealRegistration]:
    return await queries.list_registrations(viewer_of(info), wanted, window)


async def counts(
    info: Info, partner_id: int | None, expiring_within_days: int
) -> RegistrationCounts:
    return await queries.registration_counts(viewer_of(info), partner_id, expiring_within_days)


async def report(
    info: Info, since: datetime | None, until: datetime | None
) -> tuple[DecisionFigures, list[DecisionFigures]]:
    return await registration_report.decision_report(viewer_of(info), since, until)


async def history_entry(info: Info, event_id: int) -> tuple[DealRegistrationEvent, dict[str, Any]]:
    """One history entry of a registration the caller may see (node(id)), with the details it
    may read."""
    viewer = viewer_of(info)
    event = await queries.visible_history_entry(viewer, event_id)
    return event, queries.details_for(viewer, event)


def details_for(viewer: Viewer, event: DealRegistrationEvent) -> dict[str, Any]:
    return queries.details_for(viewer, event)


async def conflict_direct_deal(info: Info, direct_deal_id: int | None) -> DirectDeal | None:
    return await queries.conflict_direct_deal(viewer_of(info), direct_deal_id)


async def save_draft(info: Info, fields: RegistrationFields) -> DealRegistration:
    return await registrations.save_draft(viewer_of(info), fields)


async def submit(info: Info, fields: RegistrationFields) -> DealRegistration:
    return await registrations.submit_registration(viewer_of(info), fields)


async def update(info: Info, registration_id: int, fields: RegistrationFields) -> DealRegistration:
    return await registrations.update_registration(viewer_of(info), registration_id, fields)


async def submit_existing(
    info: Info, registration_id: int, fields: RegistrationFields | None, answer: str
) -> DealRegistration:
    return await registrations.submit_existing(viewer_of(info), registration_id, fields, answer)


async def delete_draft(info: Info, registration_id: int) -> None:
    await registrations.delete_draft(viewer_of(info), registration_id)


async def approve(
    info: Info, registration_id: int, protection_days: int | None, note: str
) -> DealRegistration:
    return await review.approve_registration(
        viewer_of(info), registration_id, protection_days, note
    )


async def reject(info: Info, registration_id: int, reason: str) -> DealRegistration:
    return await review.reject_registration(viewer_of(info), registration_id, reason)


async def request_information(info: Info, registration_id: int, message: str) -> DealRegistration:
    return await review.request_information(viewer_of(info), registration_id, message)


async def request_extension(info: Info, registration_id: int, reason: str) -> DealRegistration:
    return await review.request_extension(viewer_of(info), registration_id, reason)


async def grant_extension(info: Info, registration_id: int) -> DealRegistration:
    return await review.grant_extension(viewer_of(info), registration_id)


async def decline_extension(info: Info, registration_id: int, reason: str) -> DealRegistration:
    return await review.decline_extension(viewer_of(info), registration_id, reason)


async def link_customer(info: Info, registration_id: int, customer_id: int) -> DealRegistration:
    return await review.link_customer(viewer_of(info), registration_id, customer_id)


async def mark_won(
    info: Info, registration_id: int, plan: str, term_months: int
) -> DealRegistration:
    return await review.mark_won(viewer_of(info), registration_id, plan, term_months)


async def mark_lost(info: Info, registration_id: int, reason: str) -> DealRegistration:
    return await review.mark_lost(viewer_of(info), registration_id, reason)
