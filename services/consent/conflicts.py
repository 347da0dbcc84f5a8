"""Registration conflicts: detecting another partner's hold on an address, and resolving it.

A customer another partner registered inside the protection window puts a new registration in
`conflict` (`held_elsewhere`, before any consent email; `open_conflict`). The vendor resolves it
(`resolve_conflict`): keep the holder's registration, or ask the customer, whose approval then
moves the registration. Who holds the customer is for the vendor only: what a partner sees of a
conflict never names the other partner (`partner_safe_details`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from models.consent import (
    ConflictResolution,
    ConflictStatus,
    ConsentAction,
    ConsentPurpose,
    ConsentRequest,
    ConsentRequestState,
    ConsentSource,
    LeadConflict,
)
from models.leads import Lead, LeadEvent, RegistrationStatus
from models.partners import PartnerOrg
from models.webhooks import WebhookEventType
from services.consent.address_lock import lock_customer_address
from services.consent.ledger import record_consent
from services.consent.live import LeadChange, publish_lead_changes
from services.consent.texts import CONSENT_TEXT_VERSION
from services.consent.tokens import issue_request
from services.platform.errors import ErrorCode, ServiceError, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import validated_text
from services.platform.viewer import Viewer
from services.vendor.service import get_vendor_settings
from services.webhooks.events import emit
from settings import Settings

# What a partner is told about a conflict: never who holds the customer, nor since when.
PARTNER_CONFLICT_REASON = (
    "The customer is already registered with another partner inside the protection window."
)
# History details a partner may read, by event kind; other keys of these kinds are for the vendor
# (they name or point to another partner, or carry the vendor's notes about it). Entries written
# before this rule existed are filtered the same way when read.
_PARTNER_VISIBLE_DETAILS: dict[str, frozenset[str]] = {
    "registration_conflict": frozenset({"conflict_id"}),
    "registration_moved": frozenset(),
    "conflict_resolved": frozenset({"resolution"}),
}


async def protected_holder(email: str, partner_id: int, window_days: int) -> Lead | None:
    """Another partner's registered lead for `email` inside the protection window, if any."""
    since = datetime.now(UTC) - timedelta(days=window_days)
    return (
        await Lead.filter(
            email=email,
            registration_status=RegistrationStatus.REGISTERED,
            registered_at__gte=since,
        )
        .exclude(partner_id=partner_id)
        .order_by("-registered_at")
        .first()
    )


async def held_elsewhere(lead: Lead, actor_id: int | None) -> bool:
    """Put `lead` in `conflict` if another partner holds its address inside the window.

    The conflict check every consent request goes through (first registration, rule, resend):
    no email is sent to a customer another partner holds. The address is locked first, so that
    the check and what follows it are one decision (`services.consent.address_lock`).
    """
    await lock_customer_address(lead.email)
    partner_id: int = lead.partner_id  # type: ignore[attr-defined]
    vendor = await get_vendor_settings()
    holder = await protected_holder(lead.email, partner_id, vendor.lead_protection_window_days)
    if holder is None:
        return False
    lead.registration_status = RegistrationStatus.CONFLICT
    await lead.save(update_fields=["registration_status", "updated_at"])
    await open_conflict(lead, holder, vendor.lead_protection_window_days, actor_id)
    return True


async def open_conflict(lead: Lead, holder: Lead, window_days: int, actor: int | None) -> None:
    """Record a conflict with `holder`'s registration.

    Who the holder is goes only into the conflict row, which the vendor reads; the lead's history,
    which its partner reads, says only that another partner holds the customer.
    """
    holder_partner = await PartnerOrg.get(id=holder.partner_id)  # type: ignore[attr-defined]
    registered = holder.registered_at.strftime("%Y-%m-%d") if holder.registered_at else "?"
    reason = (
        f"{lead.email} is already a registered lead of {holder_partner.name} since "
        f"{registered}, inside the {window_days}-day protection window."
    )
    await emit(WebhookEventType.LEAD_REGISTRATION_IN_CONFLICT, lead)
    conflict = await LeadConflict.create(
        lead_id=lead.id,
        holder_lead_id=holder.id,
        holder_partner_id=holder_partner.id,
        email=lead.email,
        reason=reason,
    )
    await LeadEvent.create(
        lead_id=lead.id,
        kind="registration_conflict",
        actor_id=actor,
        partner_id=lead.partner_id,  # type: ignore[attr-defined]
        details={"conflict_id": conflict.id, "reason": PARTNER_CONFLICT_REASON},
    )


def partner_safe_details(kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """The details of a lead event as a partner may see them."""
    allowed = _PARTNER_VISIBLE_DETAILS.get(kind)
    if allowed is None:
        return details
    safe = {key: value for key, value in details.items() if key in allowed}
    if kind == "registration_conflict":
        safe["reason"] = PARTNER_CONFLICT_REASON
    return safe


async def list_conflicts(
    viewer: Viewer, status: ConflictStatus | None, window: PageWindow
) -> Page[LeadConflict]:
    viewer.require_vendor_admin()
    queryset = LeadConflict.all()
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, window)


async def resolve_conflict(
    settings: Settings,
    viewer: Viewer,
    conflict_id: int,
    resolution: ConflictResolution,
    note: str = "",
) -> LeadConflict:
    """Settle a conflict: keep the holder's registration, or ask the customer to choose."""
    viewer.require_vendor_admin()
    note = validated_text(note, "note", max_length=2000, multiline=True)
    found = await LeadConflict.get_or_none(id=conflict_id)
    if found is None:
        raise not_found("Conflict")
    async with in_transaction():
        # A decision about who holds the address: after any other one about it has committed.
        await lock_customer_address(found.email)
        conflict = await LeadConflict.get(id=found.id)
        if conflict.status is ConflictStatus.RESOLVED:
            raise ServiceError(ErrorCode.INVALID, "This conflict is already resolved.", "id")
        lead = await Lead.select_for_update().get(id=conflict.lead_id)  # type: ignore[attr-defined]
        conflict.status = ConflictStatus.RESOLVED
        conflict.resolution = resolution
        conflict.resolution_note = note
        conflict.resolved_by_id = viewer.user_id  # type: ignore[attr-defined]
        conflict.resolved_at = datetime.now(UTC)
        await conflict.save()
        await LeadEvent.create(
            lead_id=lead.id,
            kind="conflict_resolved",
            actor_id=viewer.user_id,
            partner_id=lead.partner_id,  # type: ignore[attr-defined]
            details={"resolution": resolution.value, "note": note},
        )
        if lead.registration_status is RegistrationStatus.CONFLICT:
            if resolution is ConflictResolution.KEEP_HOLDER:
                lead.registration_status = RegistrationStatus.NOT_REGISTERED
                await lead.save(update_fields=["registration_status", "updated_at"])
                await emit(WebhookEventType.LEAD_REGISTRATION_DECLINED, lead)
            else:
                partner = await PartnerOrg.get(id=lead.partner_id)  # type: ignore[attr-defined]
                await ConsentRequest.filter(
                    lead_id=lead.id, state=ConsentRequestState.PENDING
                ).update(state=ConsentRequestState.SUPERSEDED)
                await issue_request(settings, lead, partner, viewer.user_id)
                lead.registration_status = RegistrationStatus.PENDING_CONSENT
                await lead.save(update_fields=["registration_status", "updated_at"])
                await emit(WebhookEventType.LEAD_REGISTRATION_REQUESTED, lead)
                await record_consent(
                    email=lead.email,
                    purpose=ConsentPurpose.NEWSLETTER,
                    action=ConsentAction.REQUEST,
                    source=ConsentSource.ADMIN,
                    partner_id=partner.id,
                    partner_name=partner.name,
                    lead_id=lead.id,
                    actor_user_id=viewer.user_id,
                    consent_text_version=CONSENT_TEXT_VERSION,
                )
    await publish_lead_changes(settings, [LeadChange(lead.id, lead.partner_id)])  # type: ignore[attr-defined]
    return conflict


async def conflicts_of(lead_ids: list[int]) -> dict[int, list[LeadConflict]]:
    found: dict[int, list[LeadConflict]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        for conflict in await LeadConflict.filter(lead_id__in=lead_ids).order_by("id"):
            found[conflict.lead_id].append(conflict)  # type: ignore[attr-defined]
    return found
