"""Guarded moves of a registration that do more than change its status, and its link to a Deal.

Every move goes through `change_registration` (services/deals/registration_events.py), with a
guard where needed and work done in the same transaction (creating the registration's Deal at
approval, losing it with the registration).

`win_registration_of_deal` is the conversion hook: when `convertTrialToPaid` (or marking a
registration won) wins a deal, the registration that deal came from is WON in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.deal_registrations import DealRegistration, DealRegistrationStatus, ExtensionState
from models.deals import Deal, DealStatus
from models.webhooks import WebhookEventType
from services.deals.registration_events import (
    RegistrationChange,
    announce,
    change_registration,
    record_event,
)
from services.webhooks.events import emit

Status = DealRegistrationStatus
MAX_DEAL_PRODUCT = 200


async def open_deal_for(registration: DealRegistration, now: datetime) -> dict[str, Any] | None:
    """The OPEN deal of an approved registration linked to a customer (inside the caller's
    transaction): the column values that link it, or None when there is nothing to create."""
    customer_id = registration.customer_id  # type: ignore[attr-defined]
    if customer_id is None or registration.deal_id is not None:  # type: ignore[attr-defined]
        return None
    deal = await Deal.create(
        partner_id=registration.partner_id,  # type: ignore[attr-defined]
        customer_id=customer_id,
        created_by_id=registration.submitted_by_id,  # type: ignore[attr-defined]
        product=(registration.products or registration.company_name)[:MAX_DEAL_PRODUCT],
        amount=registration.amount,
        currency=registration.currency,
        expected_close_on=registration.expected_close_on,
        status=DealStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    await emit(WebhookEventType.DEAL_REGISTERED, deal)
    return {"deal_id": deal.id}


async def lose_deal_of(registration: DealRegistration, reason: str, now: datetime) -> None:
    """The registration's open deal is lost with it (inside the caller's transaction)."""
    deal_id = registration.deal_id  # type: ignore[attr-defined]
    if deal_id is None:
        return
    lost = await Deal.filter(id=deal_id, status=DealStatus.OPEN).update(
        status=DealStatus.LOST, lost_reason=reason[:500], closed_at=now, updated_at=now
    )
    if lost:
        await emit(WebhookEventType.DEAL_LOST, await Deal.get(id=deal_id))


async def win_registration_of_deal(
    deal_id: int, actor_id: int | None, now: datetime
) -> RegistrationChange | None:
    """Inside the transaction that wins deal `deal_id`: the registration it came from, if it is
    still protected, is WON too (history entry and webhook event). The caller announces the
    returned change after its commit (`announce_committed`). A registration whose protection
    already ended stays as it is: the deal is won, the claim had lapsed."""
    registration = await DealRegistration.get_or_none(deal_id=deal_id)
    if registration is None:
        return None
    changed = await DealRegistration.filter(
        id=registration.id, status=Status.APPROVED, protected_until__gt=now
    ).update(status=Status.WON, closed_at=now, updated_at=now)
    if not changed:
        return None
    won = await DealRegistration.get(id=registration.id)
    event = await record_event(won, "won", Status.APPROVED, actor_id, "", {"deal": deal_id}, now)
    change = RegistrationChange(won, event, Status.APPROVED)
    await announce(change, WebhookEventType.DEAL_REGISTRATION_WON)
    return change


async def approve_now(
    registration_id: int,
    *,
    protection_days: int,
    actor_id: int | None,
    now: datetime,
    kind: str = "approved",
    reason: str = "",
    details: dict[str, Any] | None = None,
    rule_version_id: int | None = None,
    rule_group: int | None = None,
) -> RegistrationChange:
    """SUBMITTED -> APPROVED, protected for `protection_days` from now; a registration linked to
    a customer gets its OPEN deal in the same transaction. Used by reviewers and auto-approval."""
    protected_until = now + timedelta(days=protection_days)
    return await change_registration(
        registration_id,
        allowed_from=[Status.SUBMITTED],
        to_status=Status.APPROVED,
        kind=kind,
        actor_id=actor_id,
        now=now,
        refused="Only a submitted registration can be approved.",
        reason=reason,
        details={"protectionDays": protection_days, **(details or {})},
        values={
            "protected_until": protected_until,
            "decided_at": now,
            "decided_by_id": actor_id,
            "auto_approved": rule_version_id is not None,
            "approval_rule_version_id": rule_version_id,
            "approval_rule_group": rule_group,
            "extension_state": ExtensionState.NONE,
        },
        webhook_event=WebhookEventType.DEAL_REGISTRATION_APPROVED,
        then=lambda registration: open_deal_for(registration, now),
    )
