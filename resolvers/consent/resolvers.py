"""Customer-approved lead registration and the consent ledger: GraphQL calls to service calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from models.consent import (
    ConflictResolution,
    ConflictStatus,
    ConsentAction,
    ConsentLedgerEntry,
    ConsentPurpose,
    LeadConflict,
)
from resolvers.platform.permissions import viewer_of
from services.consent import conflicts, ledger, queries
from services.consent import service as consent
from services.consent.live import LEAD_STATUS_CHANNEL, LeadChange

# A registration is a lead of the leads domain: named here as the consent services hand it out.
from services.consent.queries import Lead
from services.consent.service import NewLead
from services.platform.errors import not_found
from services.platform.pagination import Page, PageWindow
from services.platform.pubsub import RESYNC, PubSub


async def register_lead(info: Info, new: NewLead) -> tuple[Lead, bool]:
    """The lead and whether the viewer's partner had registered this customer already."""
    return await consent.register_lead_once(
        info.context.settings, viewer_of(info), new, info.context.caller
    )


async def resend_consent_request(info: Info, lead_id: int) -> Lead:
    return await consent.resend_consent_request(
        info.context.settings, viewer_of(info), lead_id, info.context.caller
    )


async def resolve_conflict(
    info: Info, conflict_id: int, resolution: ConflictResolution, note: str
) -> LeadConflict:
    return await conflicts.resolve_conflict(
        info.context.settings, viewer_of(info), conflict_id, resolution, note
    )


async def list_ledger(
    info: Info,
    email: str | None,
    purpose: ConsentPurpose | None,
    action: ConsentAction | None,
    window: PageWindow,
) -> Page[ConsentLedgerEntry]:
    return await ledger.list_ledger(viewer_of(info), email, purpose, action, window)


async def export_personal_data(info: Info, email: str) -> dict[str, Any]:
    return await ledger.export_personal_data(viewer_of(info), email)


async def list_conflicts(
    info: Info, status: ConflictStatus | None, window: PageWindow
) -> Page[LeadConflict]:
    return await conflicts.list_conflicts(viewer_of(info), status, window)


def _loader(info: Info, name: str, load: Any) -> DataLoader:
    # Kept on the operation's loaders object, which FreshLoaders replaces for every operation.
    loaders = info.context.loaders
    existing = getattr(loaders, name, None)
    if existing is None:
        existing = DataLoader(load)
        setattr(loaders, name, existing)
    return existing


async def _histories(lead_ids: list[int]) -> list[list[ConsentLedgerEntry]]:
    found = await ledger.consent_history(lead_ids)
    return [found[lead_id] for lead_id in lead_ids]


async def _conflicts(lead_ids: list[int]) -> list[list[LeadConflict]]:
    found = await conflicts.conflicts_of(lead_ids)
    return [found[lead_id] for lead_id in lead_ids]


async def consent_history(info: Info, lead_id: int) -> list[ConsentLedgerEntry]:
    """The ledger entries of a lead the viewer sees; a partner only those naming itself."""
    entries = await _loader(info, "consent_history_of_lead", _histories).load(lead_id)
    viewer = viewer_of(info)
    if viewer.is_vendor_staff:
        return entries
    return [e for e in entries if e.partner_id in (None, viewer.partner_id)]  # type: ignore[attr-defined]


async def conflicts_of_lead(info: Info, lead_id: int) -> list[LeadConflict]:
    return await _loader(info, "conflicts_of_lead", _conflicts).load(lead_id)


async def lead_status_changes(info: Info, partner_id: int | None) -> AsyncIterator[Lead]:
    """The viewer's pending leads from the database first, then every change as it happens."""
    viewer = viewer_of(info)
    if partner_id is not None and not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    pubsub: PubSub = info.context.request.app.state.pubsub
    async with pubsub.subscribe(LEAD_STATUS_CHANNEL) as subscription:
        for lead in await queries.pending_registrations(viewer, partner_id):
            yield lead
        async for item in subscription:
            if item is RESYNC:
                # Changes published while the pub/sub was reconnecting are lost: re-sync.
                for lead in await queries.pending_registrations(viewer, partner_id):
                    yield lead
                continue
            change = LeadChange.decode(item)
            if change is None or (partner_id is not None and change.partner_id != partner_id):
                continue
            lead = await queries.lead_for_change(viewer, change)
            if lead is not None:
                yield lead


async def ledger_entry(info: Info, entry_id: int) -> ConsentLedgerEntry:
    return await queries.ledger_entry(viewer_of(info), entry_id)


async def conflict(info: Info, conflict_id: int) -> LeadConflict:
    return await queries.conflict(viewer_of(info), conflict_id)
