"""Background jobs of the consent domain: expiring consent requests nobody answered.

`services.platform.worker` schedules them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from models.consent import (
    ConsentAction,
    ConsentPurpose,
    ConsentRequest,
    ConsentRequestState,
    ConsentSource,
)
from models.leads import Lead, LeadEvent, RegistrationStatus
from models.webhooks import WebhookEventType
from services.consent.ledger import record_consent
from services.consent.live import LeadChange, publish_lead_changes
from services.webhooks.events import emit
from settings import Settings


async def expire_consent_requests(settings: Settings, now: datetime | None = None) -> int:
    """Expire every open consent request past its lifetime; its lead becomes `expired`."""
    now = now or datetime.now(UTC)
    due = await ConsentRequest.filter(
        state=ConsentRequestState.PENDING, expires_at__lte=now
    ).order_by("id")
    changes: list[LeadChange] = []
    for request in due:
        async with in_transaction():
            taken = await ConsentRequest.filter(
                id=request.id, state=ConsentRequestState.PENDING
            ).update(state=ConsentRequestState.EXPIRED)
            if not taken:
                continue
            lead = await Lead.get(id=request.lead_id)  # type: ignore[attr-defined]
            if lead.registration_status is RegistrationStatus.PENDING_CONSENT:
                lead.registration_status = RegistrationStatus.EXPIRED
                await lead.save(update_fields=["registration_status", "updated_at"])
                await emit(WebhookEventType.LEAD_REGISTRATION_EXPIRED, lead)
            await LeadEvent.create(
                lead_id=lead.id,
                kind="consent_expired",
                partner_id=request.partner_id,  # type: ignore[attr-defined]
                details={"expires_at": request.expires_at.isoformat()},
            )
            await record_consent(
                email=request.email,
                purpose=ConsentPurpose.NEWSLETTER,
                action=ConsentAction.EXPIRY,
                source=ConsentSource.PARTNER_INVITATION,
                partner_id=request.partner_id,  # type: ignore[attr-defined]
                lead_id=lead.id,
                consent_text_version=request.consent_text_version,
            )
            changes.append(LeadChange(lead.id, lead.partner_id))  # type: ignore[attr-defined]
    await publish_lead_changes(settings, changes)
    return len(changes)
