"""The customer's answer to a consent request: approve (subscribe and link) or decline.

Given by a POST from the consent page with the request's token. An approval subscribes the
address to the newsletter and links the lead to its partner, unless another partner registered
the customer while the request was open (then the lead is in `conflict`), or the vendor let the
customer choose (then the registration moves to this partner). Only an approval links a lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
    NewsletterSubscriber,
    SubscriberStatus,
)
from models.leads import Lead, LeadEvent, RegistrationStatus
from models.outbox import EmailSuppression, SuppressionReason
from models.webhooks import WebhookEventType
from services.consent.address_lock import lock_customer_address
from services.consent.conflicts import open_conflict, protected_holder
from services.consent.ledger import Caller, record_consent
from services.consent.live import LeadChange, publish_lead_changes
from services.consent.tokens import (
    ConsentLinkError,
    ConsentQuestion,
    LinkProblem,
    open_consent_question,
)
from services.email.suppression import lift_suppression
from services.vendor.service import get_vendor_settings
from services.webhooks.events import emit
from settings import Settings


@dataclass(frozen=True)
class ConsentAnswer:
    lead: Lead
    approved: bool
    question: ConsentQuestion


async def _subscribe(lead: Lead, now: datetime) -> None:
    subscriber = await NewsletterSubscriber.get_or_none(email=lead.email)
    if subscriber is None:
        await NewsletterSubscriber.create(
            email=lead.email,
            status=SubscriberStatus.SUBSCRIBED,
            locale=lead.locale,
            partner_id=lead.partner_id,  # type: ignore[attr-defined]
            lead_id=lead.id,
            subscribed_at=now,
        )
    else:
        subscriber.status = SubscriberStatus.SUBSCRIBED
        subscriber.partner_id = lead.partner_id  # type: ignore[attr-defined]
        subscriber.lead_id = lead.id  # type: ignore[attr-defined]
        subscriber.subscribed_at = now
        subscriber.unsubscribed_at = None
        await subscriber.save()
    # The customer opted in again: marketing mail to the address may flow again.
    if await EmailSuppression.exists(address=lead.email, reason=SuppressionReason.UNSUBSCRIBE):
        await lift_suppression(lead.email)


async def _approved_move(lead: Lead) -> bool:
    """Whether the vendor resolved a conflict of this lead by asking the customer."""
    return await LeadConflict.exists(
        lead_id=lead.id,
        status=ConflictStatus.RESOLVED,
        resolution=ConflictResolution.ASK_CUSTOMER,
    )


async def answer_consent_request(
    settings: Settings, token: str, approve: bool, caller: Caller = Caller()
) -> ConsentAnswer:
    """Approve or decline with a consent token (the POST of the consent page's button)."""
    question = await open_consent_question(settings, token)
    request = question.request
    changes: list[LeadChange] = []
    now = datetime.now(UTC)
    async with in_transaction():
        # First: the approval's protection-window check and the registration are one decision,
        # not interleaved with another lead's for the same address
        # (`services.consent.address_lock`).
        await lock_customer_address(request.email)
        # Single use, also under concurrency: only one answer can move the row out of pending.
        taken = await ConsentRequest.filter(
            id=request.id, state=ConsentRequestState.PENDING, expires_at__gt=now
        ).update(
            state=ConsentRequestState.APPROVED if approve else ConsentRequestState.DECLINED,
            answered_at=now,
        )
        if not taken:
            raise ConsentLinkError(LinkProblem.USED, question.locale)
        lead = await Lead.get(id=request.lead_id)  # type: ignore[attr-defined]
        partner_id: int = lead.partner_id  # type: ignore[attr-defined]
        ledger = {
            "email": request.email,
            "purpose": ConsentPurpose.NEWSLETTER,
            "source": ConsentSource.PARTNER_INVITATION,
            "partner_id": partner_id,
            "partner_name": question.partner_name,
            "lead_id": lead.id,
            "client_address": caller.client_address,
            "user_agent": caller.user_agent,
            "consent_text_version": request.consent_text_version,
        }
        if approve:
            await record_consent(action=ConsentAction.APPROVAL, **ledger)
            await _subscribe(lead, now)
            await _register_approved(lead, now, changes)
        else:
            await record_consent(action=ConsentAction.DECLINE, **ledger)
            if lead.registration_status is RegistrationStatus.PENDING_CONSENT:
                lead.registration_status = RegistrationStatus.DECLINED
                await lead.save(update_fields=["registration_status", "updated_at"])
                await emit(WebhookEventType.LEAD_REGISTRATION_DECLINED, lead)
            await LeadEvent.create(
                lead_id=lead.id, kind="consent_declined", partner_id=partner_id, details={}
            )
        changes.append(LeadChange(lead.id, partner_id))
    await publish_lead_changes(settings, changes)
    return ConsentAnswer(lead=lead, approved=approve, question=question)


async def _register_approved(lead: Lead, now: datetime, changes: list[LeadChange]) -> None:
    partner_id: int = lead.partner_id  # type: ignore[attr-defined]
    if lead.registration_status is RegistrationStatus.REGISTERED:
        return  # already registered (by another path): its confirmed state stays as it is
    vendor = await get_vendor_settings()
    moving = await _approved_move(lead)
    holder = await protected_holder(lead.email, partner_id, vendor.lead_protection_window_days)
    if holder is not None and not moving:
        # Another partner registered the customer while this request was open.
        lead.registration_status = RegistrationStatus.CONFLICT
        await lead.save(update_fields=["registration_status", "updated_at"])
        await open_conflict(lead, holder, vendor.lead_protection_window_days, None)
        return
    if holder is not None:
        # The vendor let the customer choose, and the customer chose this partner.
        holder.registration_status = RegistrationStatus.NOT_REGISTERED
        await holder.save(update_fields=["registration_status", "updated_at"])
        await emit(WebhookEventType.LEAD_REGISTRATION_DECLINED, holder)
        await LeadEvent.create(
            lead_id=holder.id,
            kind="registration_moved",
            partner_id=holder.partner_id,  # type: ignore[attr-defined]
            # For the vendor only: partners read it through `partner_safe_details`.
            details={"to_lead_id": lead.id, "to_partner_id": partner_id},
        )
        changes.append(LeadChange(holder.id, holder.partner_id))  # type: ignore[attr-defined]
    lead.registration_status = RegistrationStatus.REGISTERED
    lead.registered_at = now
    await lead.save(update_fields=["registration_status", "registered_at", "updated_at"])
    await emit(WebhookEventType.LEAD_REGISTRATION_APPROVED, lead)
    await LeadEvent.create(
        lead_id=lead.id,
        kind="consent_approved",
        partner_id=partner_id,
        details={"registered_at": now.isoformat()},
    )
