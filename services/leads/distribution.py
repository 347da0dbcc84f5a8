"""Distribution of vendor leads to partners, and live assignment pushes.

- A vendor admin distributes one or many vendor-held leads to a partner org (status `active` or
  `test`), optionally with an accept-by deadline. Each lead gets a `LeadDistribution` row and a
  `distributed` history entry.
- A partner with **auto-accept** on accepts at once (`accepted` entry, `auto: true`) and no
  notification email is sent. Otherwise the lead waits (`PENDING`) and each default
  lead-notification recipient (the partner users and sales reps the partner chose, plus the user
  the supplier assigned) gets one email per lead, queued in the outbox in the same transaction.
- The partner's answer is in `services.leads.answers`, the accept-by deadline in
  `services.leads.deadlines`.
- After the transaction commits, each newly distributed lead is published on the partner's
  `lead-assigned` channel; the `leadAssigned` subscription first replays the partner's pending
  leads, then follows the channel, so a client that (re)connects misses nothing.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from models.enums import PartnerStatus
from models.lead_management import DistributionState, LeadDistribution
from models.leads import DistributionStatus, Lead, LeadEvent, LeadSource
from models.partners import PartnerOrg
from models.users import SalesRep, User
from models.webhooks import WebhookEventType
from services.email.outbox import queue_email
from services.leads.access import can_see_lead
from services.leads.deadlines import settle_overdue_leads
from services.leads.lead_settings import settings_for
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pubsub import RESYNC, PubSub
from services.platform.viewer import Viewer
from services.webhooks.events import emit
from settings import Settings

MAX_LEADS_PER_DISTRIBUTION = 500
# Vendor-held leads that may be handed out (again).
DISTRIBUTABLE = (
    DistributionStatus.NOT_DISTRIBUTED,
    DistributionStatus.REJECTED,
    DistributionStatus.RETURNED,
)


def lead_assigned_channel(partner_id: int) -> str:
    return f"lead-assigned.{partner_id}"


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    user_id: int | None


async def notification_recipients(partner_id: int) -> list[Recipient]:
    """The partner's default lead-notification recipients, one entry per address."""
    users = await User.filter(partner_id=partner_id, is_active=True).order_by("id")
    reps = await SalesRep.filter(partner_id=partner_id, is_default_lead_recipient=True)
    chosen: dict[str, Recipient] = {}
    for user in users:
        if user.is_default_lead_recipient or user.is_supplier_default_lead_owner:
            chosen.setdefault(user.email, Recipient(user.email, user.full_name, user.id))
    for rep in sorted(reps, key=lambda r: r.id):
        address = rep.email.strip().lower()
        chosen.setdefault(address, Recipient(address, rep.full_name, None))
    return list(chosen.values())


async def _queue_notifications(
    settings: Settings,
    partner: PartnerOrg,
    lead: Lead,
    distribution: LeadDistribution,
    recipients: Sequence[Recipient],
) -> None:
    who = " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email
    company = f" ({lead.company})" if lead.company else ""
    deadline = (
        f"Please accept or reject it before {distribution.accept_by:%Y-%m-%d %H:%M} UTC."
        if distribution.accept_by is not None
        else "Please accept or reject it in the portal."
    )
    for recipient in recipients:
        link = portal_lead_link(settings, recipient, lead.id)
        await queue_email(
            settings,
            to=recipient.address,
            template="notice",
            context={
                "subject": f"New lead for {partner.name}: {who}{company}",
                "heading": "A new lead was distributed to you",
                "paragraphs": [
                    f"The vendor has distributed the lead {who}{company} to {partner.name}.",
                    deadline,
                ],
                "action_url": link or "",
                "action_label": "Open the lead",
            },
            source="lead_distributed",
            reference=f"lead:{lead.id}",
            user=recipient.user_id,
            dedupe_key=f"lead-distributed:{distribution.id}:{recipient.address}",
        )


def portal_lead_link(settings: Settings, recipient: Recipient, lead_id: int) -> str | None:
    """The lead's page in the partner portal (`PORTAL_URL/leads/<the Lead's global id>`), for a
    recipient who can sign in to the portal: none without PORTAL_URL, and none for a sales rep."""
    if not settings.portal_url or recipient.user_id is None:
        return None
    global_id = base64.b64encode(f"Lead:{lead_id}".encode()).decode()
    return f"{settings.portal_url}/leads/{global_id}"


@dataclass
class DistributionResult:
    partner_id: int
    distributions: list[LeadDistribution]
    leads: list[Lead]


async def distribute_leads(
    settings: Settings,
    viewer: Viewer,
    lead_ids: Sequence[int],
    partner_id: int,
    accept_by: datetime | None = None,
    pubsub: PubSub | None = None,
) -> DistributionResult:
    """Hand vendor-held leads to a partner: all of them, or none if one cannot be handed out."""
    viewer.require_vendor_admin()
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        raise ValidationFailed([("leadIds", "Choose at least one lead.")])
    if len(ids) > MAX_LEADS_PER_DISTRIBUTION:
        raise ValidationFailed(
            [("leadIds", f"Distribute at most {MAX_LEADS_PER_DISTRIBUTION} leads at once.")]
        )
    now = datetime.now(UTC)
    if accept_by is not None:
        if accept_by.tzinfo is None:
            accept_by = accept_by.replace(tzinfo=UTC)
        if accept_by <= now:
            raise ValidationFailed([("acceptBy", "The deadline must be in the future.")])
    partner = await PartnerOrg.get_or_none(id=partner_id)
    if partner is None:
        raise not_found("Partner")
    if partner.status not in (PartnerStatus.ACTIVE, PartnerStatus.TEST):
        raise ValidationFailed([("partnerId", "Leads go to active or test partners only.")])
    # A lead whose accept-by deadline passed is the vendor's again, even before the job ran.
    await settle_overdue_leads(now, lead_ids=ids)
    lead_settings = await settings_for(partner_id)
    auto = lead_settings.auto_accept
    recipients = [] if auto else await notification_recipients(partner_id)
    distributions: list[LeadDistribution] = []
    leads: list[Lead] = []
    async with in_transaction():
        found = {lead.id: lead for lead in await Lead.filter(id__in=ids).select_for_update()}
        problems = []
        for position, lead_id in enumerate(ids):
            lead = found.get(lead_id)
            if lead is None:
                problems.append((f"leadIds[{position}]", "Lead not found."))
            elif (
                lead.source is not LeadSource.VENDOR_DISTRIBUTION
                or lead.partner_id is not None  # type: ignore[attr-defined]
                or lead.distribution_status not in DISTRIBUTABLE
            ):
                problems.append(
                    (f"leadIds[{position}]", "This lead is not the vendor's to distribute now.")
                )
        if problems:
            raise ValidationFailed(problems)
        for lead_id in ids:
            lead = found[lead_id]
            status = DistributionStatus.ACCEPTED if auto else DistributionStatus.PENDING
            updated = await Lead.filter(
                id=lead.id, partner_id__isnull=True, distribution_status__in=DISTRIBUTABLE
            ).update(partner_id=partner_id, distribution_status=status, updated_at=now)
            if updated != 1:
                raise ServiceError(
                    ErrorCode.DUPLICATE, "The lead was distributed at the same time.", "leadIds"
                )
            distribution = await LeadDistribution.create(
                lead=lead,
                partner_id=partner_id,
                state=DistributionState.ACCEPTED if auto else DistributionState.PENDING,
                auto_accepted=auto,
                accept_by=None if auto else accept_by,
                distributed_by_id=viewer.user_id,
                answered_at=now if auto else None,
            )
            await LeadEvent.create(
                lead=lead,
                kind="distributed",
                actor_id=viewer.user_id,
                partner_id=partner_id,
                details={
                    "distribution_id": distribution.id,
                    "accept_by": accept_by.isoformat() if accept_by and not auto else None,
                },
            )
            if auto:
                await LeadEvent.create(
                    lead=lead,
                    kind="accepted",
                    partner_id=partner_id,
                    details={"distribution_id": distribution.id, "auto": True},
                )
            else:
                await _queue_notifications(settings, partner, lead, distribution, recipients)
            lead.partner_id = partner_id  # type: ignore[attr-defined]
            lead.distribution_status = status
            await emit(WebhookEventType.LEAD_DISTRIBUTED, lead)
            if auto:
                await emit(WebhookEventType.LEAD_ACCEPTED, lead)
            distributions.append(distribution)
            leads.append(lead)
    if pubsub is not None:
        for distribution in distributions:
            await publish_lead_assigned(pubsub, partner_id, distribution)
    return DistributionResult(partner_id=partner_id, distributions=distributions, leads=leads)


async def publish_lead_assigned(
    pubsub: PubSub, partner_id: int, distribution: LeadDistribution
) -> None:
    # A failed publish is logged by the pub/sub layer: the lead is committed, and a client
    # re-syncs the pending leads from the database when it (re)subscribes.
    await pubsub.publish(
        lead_assigned_channel(partner_id),
        {"lead_id": distribution.lead_id, "distribution_id": distribution.id},  # type: ignore[attr-defined]
    )


async def current_distribution(lead: Lead) -> LeadDistribution | None:
    return await LeadDistribution.filter(lead_id=lead.id).order_by("-id").first()


async def current_distributions(leads: Sequence[Lead]) -> dict[int, LeadDistribution]:
    """The latest distribution of each lead that has one, in one query."""
    latest: dict[int, LeadDistribution] = {}
    rows = await LeadDistribution.filter(lead_id__in=[lead.id for lead in leads]).order_by("id")
    for row in rows:
        latest[row.lead_id] = row  # type: ignore[attr-defined]
    return latest


async def distributions_by_ids(
    viewer: Viewer, distribution_ids: Sequence[int]
) -> dict[int, LeadDistribution]:
    """The hand-outs among these the viewer may see (the vendor's staff those of partners they
    see, a partner its own), by id, in one query (for a DataLoader)."""
    wanted = sorted(set(distribution_ids))
    if not wanted:
        return {}
    found: dict[int, LeadDistribution] = {}
    for row in await LeadDistribution.filter(id__in=wanted):
        partner_id: int = row.partner_id  # type: ignore[attr-defined]
        staff_sees = viewer.is_vendor_staff and viewer.can_see_partner(partner_id)
        if staff_sees or viewer.partner_id == partner_id:
            found[row.id] = row
    return found


async def pending_leads(partner_id: int) -> list[tuple[Lead, LeadDistribution]]:
    """The partner's leads still waiting for its answer (none past its deadline)."""
    await settle_overdue_leads(partner_id=partner_id)
    distributions = await LeadDistribution.filter(
        partner_id=partner_id, state=DistributionState.PENDING
    ).order_by("id")
    leads = {
        lead.id: lead
        for lead in await Lead.filter(
            id__in=[d.lead_id for d in distributions],  # type: ignore[attr-defined]
            partner_id=partner_id,
        )
    }
    return [
        (leads[d.lead_id], d)  # type: ignore[attr-defined]
        for d in distributions
        if d.lead_id in leads  # type: ignore[attr-defined]
    ]


async def lead_assignments(pubsub: PubSub, viewer: Viewer) -> AsyncIterator[Lead]:
    """The leads newly distributed to the viewer's partner: first the ones still waiting for an
    answer (read from the database), then each new one as it is published. After a pub/sub
    reconnect (`RESYNC`) the pending leads are read again, so nothing published meanwhile is lost.
    """
    if not viewer.is_partner_member or viewer.partner_id is None:
        raise forbidden("Lead assignments are for partner users.")
    partner_id = viewer.partner_id
    async with pubsub.subscribe(lead_assigned_channel(partner_id)) as events:
        # Subscribed before reading the database: a lead distributed in between is in both,
        # and the distribution ids already sent keep it from being delivered twice.
        delivered: set[int] = set()
        for lead, distribution in await pending_leads(partner_id):
            delivered.add(distribution.id)
            yield lead
        async for event in events:
            if event is RESYNC:
                for lead, distribution in await pending_leads(partner_id):
                    if distribution.id not in delivered:
                        delivered.add(distribution.id)
                        yield lead
                continue
            try:
                distribution_id = int(event["distribution_id"])
                lead_id = int(event["lead_id"])
            except (ValueError, KeyError, TypeError):
                continue
            if distribution_id in delivered:
                continue
            delivered.add(distribution_id)
            lead = await Lead.get_or_none(id=lead_id, partner_id=partner_id)
            if lead is not None and can_see_lead(viewer, lead):
                yield lead
