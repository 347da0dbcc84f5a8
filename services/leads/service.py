"""A partner's own leads (SPEC §5): recording, editing and listing them, their history, and the
auto-registration the rules in force start for them.

The settings, rule sets and ignored companies they run with are in `services.leads.lead_settings`,
`services.leads.rule_sets` and `services.leads.ignored_companies`.

- Creating or updating a partner lead runs the rules in force (never retroactively: changing the
  rules does not touch existing leads). A match starts the same registration as `registerLead`
  (`services.consent.service.start_registration`): the protection-window conflict check, then
  the consent request email; the lead is registered (linked) only when the customer approves.
  The rule set version and group that matched are recorded (`AutoRegistrationMatch` and a
  `LeadEvent`). Leads of ignored companies are never auto-registered.
- The email of a lead that is pending consent, registered or in conflict cannot change: the
  consent (or the conflict) is about that address. A partner with the wrong address registers
  the right one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from models.lead_management import (
    AutoRegistrationMatch,
    AutoRegistrationMode,
    LeadManagementSettings,
    RuleSetOwner,
)
from models.leads import Lead, LeadEvent, LeadSource, RegistrationStatus
from models.webhooks import WebhookEventType
from services.consent.conflicts import partner_safe_details
from services.consent.ledger import Caller
from services.consent.live import LeadChange, publish_lead_changes
from services.consent.service import IDENTITY_LOCKED_STATUSES, start_registration
from services.email.suppression import normalise_address
from services.leads.access import can_see_lead
from services.leads.ignored_companies import is_ignored_company
from services.leads.rule_sets import latest_rule_set
from services.leads.rules import lead_facts, rule_set_from_json
from services.leads.rules_compiled import compile_rule_set
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import clean_text, validate_email
from services.platform.viewer import Viewer
from services.webhooks.events import emit
from settings import Settings


@dataclass
class LeadInput:
    """Lead fields; on update, None means "leave as it is"."""

    email: str | None = None
    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    estimated_value: str | None = None
    notes: str | None = None
    locale: str | None = None


_TEXT_LIMITS = {
    "company": 200,
    "first_name": 100,
    "last_name": 100,
    "phone": 50,
    "industry": 100,
    "notes": 5000,
    "locale": 16,
}


@dataclass(frozen=True)
class LeadFilters:
    """Narrowing of a lead list: by where the lead came from, its registration, its address."""

    source: LeadSource | None = None
    registration_status: RegistrationStatus | None = None
    email: str | None = None


def validate_lead_input(data: LeadInput, creating: bool) -> dict[str, Any]:
    """Clean values for the fields given; every problem is reported, nothing is written."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    if data.email is not None or creating:
        try:
            values["email"] = validate_email(data.email or "")
        except ValidationFailed as failure:
            problems.extend(failure.problems)
    for name, limit in _TEXT_LIMITS.items():
        raw = getattr(data, name)
        if raw is None:
            continue
        values[name] = clean_text(
            raw, _camel(name), problems, max_length=limit, multiline=name == "notes"
        )
    if data.country is not None:
        country = data.country.strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            problems.append(("country", "Use a two-letter country code."))
        values["country"] = country
    if data.employees is not None:
        if not 0 <= data.employees < 2**31:
            problems.append(("employees", "The number of employees cannot be negative."))
        values["employees"] = data.employees
    if data.estimated_value is not None:
        text = data.estimated_value.strip()
        if text == "":
            values["estimated_value"] = None
        else:
            try:
                amount = Decimal(text)
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or amount < 0 or amount >= 10**12:
                problems.append(("estimatedValue", "Give an amount such as 12500.00."))
            else:
                values["estimated_value"] = amount.quantize(Decimal("0.01"))
    if problems:
        raise ValidationFailed(problems)
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def auto_register(
    settings: Settings, lead: Lead, actor_id: int | None, caller: Caller = Caller()
) -> AutoRegistrationMatch | None:
    """Run the partner's rules in force over one lead, inside the caller's transaction.

    Only partner leads that are not registered (nor pending, declined...) are considered. A match
    starts the registration (`start_registration`): the lead goes to `pending_consent` with a
    consent request to the customer, or to `conflict` when another partner holds the customer
    inside the protection window. It is never registered without the customer's approval.
    """
    if (
        lead.partner_id is None  # type: ignore[attr-defined]
        or lead.source is not LeadSource.PARTNER
        or lead.registration_status is not RegistrationStatus.NOT_REGISTERED
    ):
        return None
    partner_id: int = lead.partner_id  # type: ignore[attr-defined]
    lead_settings = await LeadManagementSettings.get_or_none(partner_id=partner_id)
    if lead_settings is None or not lead_settings.auto_registration_enabled:
        return None
    owner = (
        RuleSetOwner.SUPPLIER
        if lead_settings.mode is AutoRegistrationMode.SUPPLIER_MANAGED
        else RuleSetOwner.PARTNER
    )
    version = await latest_rule_set(partner_id, owner)
    if version is None or not version.groups:
        return None
    group_index = compile_rule_set(rule_set_from_json(version.groups)).first_matching_group(
        lead_facts(lead)
    )
    if group_index is None:
        return None
    if await is_ignored_company(partner_id, lead.company):
        await LeadEvent.create(
            lead=lead,
            kind="auto_registration_skipped",
            actor_id=actor_id,
            partner_id=partner_id,
            details={
                "reason": "ignored_company",
                "company": lead.company,
                "rule_set": owner.value,
                "version": version.version,
                "group_index": group_index,
            },
        )
        return None
    match = await AutoRegistrationMatch.create(
        lead=lead,
        partner_id=partner_id,
        owner=owner,
        rule_set_version=version,
        group_index=group_index,
    )
    await LeadEvent.create(
        lead=lead,
        kind="auto_registered",
        actor_id=actor_id,
        partner_id=partner_id,
        details={
            "rule_set": owner.value,
            "rule_set_version_id": version.id,
            "version": version.version,
            "group_index": group_index,
        },
    )
    await start_registration(
        settings,
        lead,
        actor_id,
        caller,
        ledger_details={"auto_registration": {"rule_set": owner.value, "version": version.version}},
    )
    return match


async def create_lead(
    settings: Settings, viewer: Viewer, data: LeadInput, caller: Caller = Caller()
) -> Lead:
    """A partner user records one of their org's own leads; the auto-registration rules run."""
    if not viewer.is_partner_member or viewer.partner_id is None:
        raise forbidden("Only partner users create their organisation's leads.")
    values = validate_lead_input(data, creating=True)
    async with in_transaction():
        lead = await Lead.create(
            partner_id=viewer.partner_id,
            source=LeadSource.PARTNER,
            created_by_id=viewer.user_id,
            **values,
        )
        await LeadEvent.create(
            lead=lead, kind="created", actor_id=viewer.user_id, partner_id=viewer.partner_id
        )
        await emit(WebhookEventType.LEAD_CREATED, lead)
        match = await auto_register(settings, lead, viewer.user_id, caller)
    if match is not None:
        await publish_lead_changes(settings, [LeadChange(lead.id, viewer.partner_id)])
    return lead


async def create_vendor_lead(viewer: Viewer, data: LeadInput) -> Lead:
    """A vendor admin records a lead that is theirs to distribute to partners."""
    viewer.require_vendor_admin()
    values = validate_lead_input(data, creating=True)
    async with in_transaction():
        lead = await Lead.create(
            partner_id=None,
            source=LeadSource.VENDOR_DISTRIBUTION,
            created_by_id=viewer.user_id,
            **values,
        )
        await LeadEvent.create(lead=lead, kind="created", actor_id=viewer.user_id)
        await emit(WebhookEventType.LEAD_CREATED, lead)
    return lead


async def get_lead(viewer: Viewer, lead_id: int) -> Lead:
    lead = await Lead.get_or_none(id=lead_id)
    if lead is None or not can_see_lead(viewer, lead):
        raise not_found("Lead")
    return lead


async def update_lead(
    settings: Settings, viewer: Viewer, lead_id: int, data: LeadInput, caller: Caller = Caller()
) -> Lead:
    """A partner user edits one of their org's leads; the rules in force run again.

    The email of a lead that is pending consent, registered or in conflict stays as it is
    (a typed error, nothing written): that registration belongs to the address.
    """
    lead = await get_lead(viewer, lead_id)
    if not viewer.is_partner_member or lead.partner_id != viewer.partner_id:  # type: ignore[attr-defined]
        raise forbidden("Only the partner that holds a lead edits it.")
    values = validate_lead_input(data, creating=False)
    async with in_transaction():
        # Locked (PostgreSQL) so that an approval or a registration cannot slip in between the
        # check of the lead's state and the change of its address.
        lead = await Lead.select_for_update().get(id=lead.id)
        if lead.partner_id != viewer.partner_id:  # type: ignore[attr-defined]
            raise not_found("Lead")  # handed back to the vendor in the meantime
        if (
            "email" in values
            and normalise_address(values["email"]) != normalise_address(lead.email)
            and lead.registration_status in IDENTITY_LOCKED_STATUSES
        ):
            raise ServiceError(
                ErrorCode.INVALID,
                "The email of a lead that is pending consent, registered or in conflict cannot "
                "change: the registration belongs to that address. Register the right address "
                "as a new lead.",
                "email",
            )
        if values:
            await Lead.filter(id=lead.id).update(updated_at=datetime.now(UTC), **values)
            await lead.refresh_from_db()
            await LeadEvent.create(
                lead=lead,
                kind="updated",
                actor_id=viewer.user_id,
                partner_id=viewer.partner_id,
                details={"fields": sorted(values)},
            )
            await emit(WebhookEventType.LEAD_UPDATED, lead)
        match = await auto_register(settings, lead, viewer.user_id, caller)
    if match is not None:
        await publish_lead_changes(settings, [LeadChange(lead.id, viewer.partner_id)])
    return lead


async def list_leads(
    viewer: Viewer,
    partner_id: int | None,
    distribution_status: Any | None,
    window: PageWindow,
    filters: LeadFilters | None = None,
) -> Page[Lead]:
    """The leads the viewer may see: a partner its own org's, vendor staff those of the partners
    they may see, vendor admins also the vendor-held ones; narrowed by the filters."""
    queryset = Lead.all()
    if viewer.is_vendor_admin:
        if partner_id is not None:
            queryset = queryset.filter(partner_id=partner_id)
    else:
        queryset = queryset.filter(viewer.partner_filter("partner_id"))
        if partner_id is not None:
            if not viewer.can_see_partner(partner_id):
                raise not_found("Partner")
            queryset = queryset.filter(partner_id=partner_id)
    if distribution_status is not None:
        queryset = queryset.filter(distribution_status=distribution_status)
    filters = filters or LeadFilters()
    if filters.source is not None:
        queryset = queryset.filter(source=filters.source)
    if filters.registration_status is not None:
        queryset = queryset.filter(registration_status=filters.registration_status)
    if filters.email:
        queryset = queryset.filter(email=normalise_address(filters.email))
    return await paginate(queryset, window)


async def lead_history(viewer: Viewer, lead: Lead) -> list[LeadEvent]:
    """The lead's events; a partner sees only the entries of its own time with the lead."""
    return (await lead_histories(viewer, [lead]))[lead.id]


async def lead_histories(viewer: Viewer, leads: Sequence[Lead]) -> dict[int, list[LeadEvent]]:
    """The history of each lead (the viewer may see), in one query."""
    result: dict[int, list[LeadEvent]] = {lead.id: [] for lead in leads}
    visible = [lead.id for lead in leads if can_see_lead(viewer, lead)]
    queryset = LeadEvent.filter(lead_id__in=visible)
    partner_view = not viewer.is_vendor_staff
    if partner_view:
        queryset = queryset.filter(partner_id=viewer.partner_id)
    for event in await queryset.order_by("id"):
        if partner_view:
            # Never another partner's name, id or dates (an unsaved copy for this answer only).
            event.details = partner_safe_details(event.kind, event.details)
        result[event.lead_id].append(event)  # type: ignore[attr-defined]
    return result
