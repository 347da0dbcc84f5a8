"""The consent ledger: append-only entries, newsletter withdrawal, listing and the GDPR export.

`record_consent` appends one entry inside the transaction of the change it records; other domains
use it as well (Supplier Emails opt-in/out). A newsletter subscriber withdraws with the link in
every newsletter (`withdraw_newsletter_consent`, also run when a newsletter email's unsubscribe
link is used: importing this module adds that listener to
`services.email.suppression.unsubscribe_listeners`). `export_personal_data` gives everything
held about one address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.consent import (
    ConsentAction,
    ConsentLedgerEntry,
    ConsentPurpose,
    ConsentRequest,
    ConsentSource,
    LeadConflict,
    NewsletterSubscriber,
    SubscriberStatus,
)
from models.leads import Lead, LeadEvent
from models.outbox import EmailSuppression, OutboxEmail, SuppressionReason
from models.partners import PartnerOrg
from models.users import User
from models.webhooks import WebhookEventType
from services.consent.texts import CONSENT_TEXT_VERSION
from services.email.outbox import is_valid_address
from services.email.suppression import (
    Unsubscribed,
    normalise_address,
    suppress_address,
    unsubscribe_listeners,
)
from services.platform.errors import ValidationFailed
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer
from services.webhooks.events import emit_fetched

# Marketing emails queued with this source are newsletters: unsubscribing from one is a withdrawal.
NEWSLETTER_EMAIL_SOURCE = "newsletter"


@dataclass(frozen=True)
class Caller:
    """Where a request came from, for the ledger."""

    client_address: str = ""
    user_agent: str = ""


async def record_consent(
    *,
    email: str,
    purpose: ConsentPurpose,
    action: ConsentAction,
    source: ConsentSource,
    partner_id: int | None = None,
    partner_name: str | None = None,
    lead_id: int | None = None,
    actor_user_id: int | None = None,
    client_address: str = "",
    user_agent: str = "",
    consent_text_version: str = "",
    details: dict[str, Any] | None = None,
) -> ConsentLedgerEntry:
    """Append one entry to the consent ledger (call it inside the transaction of the change).

    Other domains record their consents here too, for example the Supplier Emails preference:
    `record_consent(email=..., purpose=ConsentPurpose.SUPPLIER_EMAILS, action=ConsentAction.OPT_IN,
    source=ConsentSource.TERMS_ACCEPTANCE, consent_text_version=terms_version, ...)`.
    """
    if partner_id is not None and partner_name is None:
        partner_name = (
            await PartnerOrg.filter(id=partner_id).first().values_list("name", flat=True)
        ) or ""
    return await ConsentLedgerEntry.create(
        subject_email=normalise_address(email),
        purpose=purpose,
        action=action,
        source=source,
        partner_id=partner_id,
        partner_name=(partner_name or "")[:200],
        lead_id=lead_id,
        actor_user_id=actor_user_id,
        client_address=client_address[:64],
        user_agent=user_agent[:300],
        consent_text_version=consent_text_version[:32],
        details=details or {},
    )


async def withdraw_newsletter_consent(
    email: str, source: ConsentSource, caller: Caller = Caller(), details: dict | None = None
) -> bool:
    """Unsubscribe `email` from the newsletter and record the withdrawal. Safe to repeat.

    The lead registration it came with stays: it records what the customer approved then.
    Returns False if the address was not subscribed (nothing is recorded).
    """
    email = normalise_address(email)
    async with in_transaction():
        subscriber = await NewsletterSubscriber.get_or_none(email=email)
        if subscriber is None or subscriber.status is SubscriberStatus.UNSUBSCRIBED:
            return False
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = datetime.now(UTC)
        await subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
        await record_consent(
            email=email,
            purpose=ConsentPurpose.NEWSLETTER,
            action=ConsentAction.WITHDRAWAL,
            source=source,
            partner_id=subscriber.partner_id,  # type: ignore[attr-defined]
            lead_id=subscriber.lead_id,  # type: ignore[attr-defined]
            client_address=caller.client_address,
            user_agent=caller.user_agent,
            consent_text_version=CONSENT_TEXT_VERSION,
            details=details,
        )
        await suppress_address(email, SuppressionReason.UNSUBSCRIBE, "newsletter withdrawal")
        lead_id = subscriber.lead_id  # type: ignore[attr-defined]
        await emit_fetched(
            WebhookEventType.LEAD_REGISTRATION_WITHDRAWN, Lead, [lead_id] if lead_id else []
        )
    return True


async def _withdraw_on_newsletter_unsubscribe(event: Unsubscribed) -> None:
    if event.email.source != NEWSLETTER_EMAIL_SOURCE:
        return
    await withdraw_newsletter_consent(
        event.email.recipient,
        ConsentSource.SELF_SERVICE,
        Caller(event.client_address, event.user_agent),
        {"email_uid": str(event.email.uid)},
    )


if _withdraw_on_newsletter_unsubscribe not in unsubscribe_listeners:
    unsubscribe_listeners.append(_withdraw_on_newsletter_unsubscribe)


async def list_ledger(
    viewer: Viewer,
    email: str | None,
    purpose: ConsentPurpose | None,
    action: ConsentAction | None,
    window: PageWindow,
) -> Page[ConsentLedgerEntry]:
    viewer.require_vendor_admin()
    filters = Q()
    if email:
        filters &= Q(subject_email=normalise_address(email))
    if purpose is not None:
        filters &= Q(purpose=purpose)
    if action is not None:
        filters &= Q(action=action)
    return await paginate(ConsentLedgerEntry.filter(filters), window)


async def consent_history(lead_ids: list[int]) -> dict[int, list[ConsentLedgerEntry]]:
    """The ledger entries of each lead, oldest first (one query for all the leads)."""
    history: dict[int, list[ConsentLedgerEntry]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        for entry in await ConsentLedgerEntry.filter(lead_id__in=lead_ids).order_by("id"):
            history[entry.lead_id].append(entry)  # type: ignore[index]
    return history


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_personal_data(viewer: Viewer, email: str) -> dict[str, Any]:
    """Everything Channelport holds about one email address (a GDPR access request)."""
    viewer.require_vendor_admin()
    address = normalise_address(email)
    if not is_valid_address(address):
        raise ValidationFailed([("email", "Enter an email address.")])
    partner_names = dict(await PartnerOrg.all().values_list("id", "name"))
    leads = await Lead.filter(email=address).order_by("id")
    lead_ids = [lead.id for lead in leads]
    events = await LeadEvent.filter(lead_id__in=lead_ids).order_by("id") if lead_ids else []
    subscriber = await NewsletterSubscriber.get_or_none(email=address)
    users = await User.filter(email=address).order_by("id")
    return {
        "email": address,
        "exportedAt": datetime.now(UTC).isoformat(),
        "newsletterSubscription": None
        if subscriber is None
        else {
            "status": subscriber.status.value,
            "locale": subscriber.locale,
            "partner": partner_names.get(subscriber.partner_id),  # type: ignore[attr-defined]
            "subscribedAt": _iso(subscriber.subscribed_at),
            "unsubscribedAt": _iso(subscriber.unsubscribed_at),
        },
        "leads": [
            {
                "id": lead.id,
                "partner": partner_names.get(lead.partner_id),  # type: ignore[attr-defined]
                "registrationStatus": lead.registration_status.value,
                "company": lead.company,
                "firstName": lead.first_name,
                "lastName": lead.last_name,
                "phone": lead.phone,
                "country": lead.country,
                "notes": lead.notes,
                "locale": lead.locale,
                "createdAt": _iso(lead.created_at),
                "registeredAt": _iso(lead.registered_at),
                "history": [
                    {"kind": e.kind, "at": _iso(e.created_at), "details": e.details}
                    for e in events
                    if e.lead_id == lead.id  # type: ignore[attr-defined]
                ],
            }
            for lead in leads
        ],
        "consentRequests": [
            {
                "leadId": r.lead_id,  # type: ignore[attr-defined]
                "state": r.state.value,
                "consentTextVersion": r.consent_text_version,
                "createdAt": _iso(r.created_at),
                "expiresAt": _iso(r.expires_at),
                "answeredAt": _iso(r.answered_at),
            }
            for r in await ConsentRequest.filter(email=address).order_by("id")
        ],
        "consentLedger": [
            {
                "purpose": e.purpose.value,
                "action": e.action.value,
                "source": e.source.value,
                "partner": e.partner_name or None,
                "leadId": e.lead_id,
                "occurredAt": _iso(e.occurred_at),
                "clientAddress": e.client_address,
                "userAgent": e.user_agent,
                "consentTextVersion": e.consent_text_version,
                "details": e.details,
            }
            for e in await ConsentLedgerEntry.filter(subject_email=address).order_by("id")
        ],
        "conflicts": [
            {
                "leadId": c.lead_id,  # type: ignore[attr-defined]
                "reason": c.reason,
                "status": c.status.value,
                "resolution": c.resolution.value if c.resolution else None,
                "createdAt": _iso(c.created_at),
            }
            for c in await LeadConflict.filter(email=address).order_by("id")
        ],
        "emails": [
            {
                "subject": m.subject,
                "source": m.source,
                "state": m.state.value,
                "createdAt": _iso(m.created_at),
                "sentAt": _iso(m.sent_at),
            }
            for m in await OutboxEmail.filter(recipient=address).order_by("id")
        ],
        "suppression": [
            {"reason": s.reason.value, "createdAt": _iso(s.created_at)}
            for s in await EmailSuppression.filter(address=address)
        ],
        "portalUsers": [
            {
                "role": u.role.value,
                "partner": partner_names.get(u.partner_id),  # type: ignore[attr-defined]
                "locale": u.locale,
                "supplierEmailsOptIn": u.supplier_emails_opt_in,
            }
            for u in users
        ],
    }
