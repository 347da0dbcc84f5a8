"""What partners and vendor staff read of lead registrations: lists, one lead, live updates.

A partner sees its own registrations, vendor staff those of the partners they may see
(`Viewer.partner_filter`); a lead the viewer may not see is "not found".
"""

from __future__ import annotations

from models.consent import ConsentLedgerEntry, LeadConflict
from models.leads import Lead, LeadSource, RegistrationStatus
from services.consent.live import LeadChange
from services.email.suppression import normalise_address
from services.platform.errors import ServiceError, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer


async def visible_lead(viewer: Viewer, lead_id: int) -> Lead:
    lead = await Lead.get_or_none(id=lead_id)
    if lead is None or lead.partner_id is None or not viewer.can_see_partner(lead.partner_id):  # type: ignore[attr-defined]
        raise not_found("Lead")
    return lead


async def list_registrations(
    viewer: Viewer,
    partner_id: int | None,
    status: RegistrationStatus | None,
    email: str | None,
    window: PageWindow,
) -> Page[Lead]:
    """Leads registered by partners (a partner sees its own, vendor staff theirs or all)."""
    queryset = Lead.filter(viewer.partner_filter(), source=LeadSource.PARTNER)
    if partner_id is not None:
        if not viewer.can_see_partner(partner_id):
            raise not_found("Partner")
        queryset = queryset.filter(partner_id=partner_id)
    if status is not None:
        queryset = queryset.filter(registration_status=status)
    if email:
        queryset = queryset.filter(email=normalise_address(email))
    return await paginate(queryset, window)


async def get_registration(viewer: Viewer, lead_id: int) -> Lead:
    return await visible_lead(viewer, lead_id)


async def pending_registrations(viewer: Viewer, partner_id: int | None) -> list[Lead]:
    """The viewer's leads waiting for the customer's answer (what a subscriber sees first)."""
    queryset = Lead.filter(
        viewer.partner_filter(), registration_status=RegistrationStatus.PENDING_CONSENT
    )
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    return list(await queryset.order_by("id").limit(200))


async def lead_for_change(viewer: Viewer, change: LeadChange) -> Lead | None:
    if change.partner_id is None or not viewer.can_see_partner(change.partner_id):
        return None
    lead = await Lead.get_or_none(id=change.lead_id)
    if lead is None or not viewer.can_see_partner(lead.partner_id):  # type: ignore[attr-defined]
        return None
    return lead


async def ledger_entry(viewer: Viewer, entry_id: int) -> ConsentLedgerEntry:
    """One ledger entry: vendor admins any; others one of a lead they see, naming no other
    partner (what the lead's consent history shows them)."""
    row = await ConsentLedgerEntry.get_or_none(id=entry_id)
    if row is None:
        raise not_found("ConsentLedgerEntry")
    if viewer.is_vendor_admin:
        return row
    lead = None if row.lead_id is None else await Lead.get_or_none(id=row.lead_id)  # type: ignore[attr-defined]
    partner_id = row.partner_id  # type: ignore[attr-defined]
    if (
        lead is None
        or lead.partner_id is None  # type: ignore[attr-defined]
        or not viewer.can_see_partner(lead.partner_id)  # type: ignore[attr-defined]
        or not (viewer.is_vendor_staff or partner_id in (None, viewer.partner_id))
    ):
        raise not_found("ConsentLedgerEntry")
    return row


async def conflict(viewer: Viewer, conflict_id: int) -> LeadConflict:
    """A conflict, for whoever sees its lead (a partner reads it cut down)."""
    row = await LeadConflict.get_or_none(id=conflict_id)
    if row is None:
        raise not_found("LeadConflict")
    try:
        await visible_lead(viewer, row.lead_id)  # type: ignore[attr-defined]
    except ServiceError:
        if not viewer.is_vendor_admin:
            raise not_found("LeadConflict") from None
    return row
