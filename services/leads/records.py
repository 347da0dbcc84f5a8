"""One record of the leads domain by id, as the viewer may see it (for node(id)): a history
entry, a distribution, a settings change, an ignored company. A record the viewer may not see
reads as missing, the same as one that does not exist (no existence leak).
"""

from __future__ import annotations

from models.lead_management import IgnoredCompany, LeadDistribution, LeadSettingsChange
from models.leads import LeadEvent
from services.leads.access import require_settings_reader
from services.leads.service import get_lead, lead_histories
from services.platform.errors import ServiceError, not_found
from services.platform.viewer import Viewer


async def history_entry(viewer: Viewer, entry_id: int) -> LeadEvent:
    """An entry of a lead's history, cut down as the lead's history shows it to the viewer."""
    row = await LeadEvent.get_or_none(id=entry_id)
    if row is None:
        raise not_found("LeadHistoryEntry")
    try:
        lead = await get_lead(viewer, row.lead_id)  # type: ignore[attr-defined]
    except ServiceError:
        raise not_found("LeadHistoryEntry") from None
    for entry in (await lead_histories(viewer, [lead]))[lead.id]:
        if entry.id == entry_id:
            return entry
    raise not_found("LeadHistoryEntry")


async def distribution(viewer: Viewer, distribution_id: int) -> LeadDistribution:
    """A hand-out of a lead: for the partner it went to and vendor staff who see that partner."""
    row = await LeadDistribution.get_or_none(id=distribution_id)
    partner_id = None if row is None else row.partner_id  # type: ignore[attr-defined]
    if row is None or not (
        (viewer.is_vendor_staff and viewer.can_see_partner(partner_id))
        or (viewer.partner_id is not None and viewer.partner_id == partner_id)
    ):
        raise not_found("LeadDistribution")
    return row


async def settings_change(viewer: Viewer, change_id: int) -> LeadSettingsChange:
    row = await LeadSettingsChange.get_or_none(id=change_id)
    if row is None or not _reads_settings_of(viewer, row.partner_id):  # type: ignore[attr-defined]
        raise not_found("LeadSettingsChange")
    return row


async def ignored_company(viewer: Viewer, company_id: int) -> IgnoredCompany:
    row = await IgnoredCompany.get_or_none(id=company_id)
    if row is None or not _reads_settings_of(viewer, row.partner_id):  # type: ignore[attr-defined]
        raise not_found("IgnoredCompany")
    return row


def _reads_settings_of(viewer: Viewer, partner_id: int) -> bool:
    try:
        require_settings_reader(viewer, partner_id)
    except ServiceError:
        return False
    return True
