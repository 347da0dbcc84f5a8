"""A partner's deal registrations from draft to submission: saving a draft, editing it (or a
registration the vendor asked more information about), submitting and resubmitting it, deleting a
draft, and the duplicate check every (re)submission runs.

A submission is checked against the other partners' approved, still protected registrations and
the vendor's open direct deals for the same company (normalised name or domain). What it finds is
stored on the registration (kind and holder); the partner sees only the kind and a neutral
message, vendor staff see the holder. A registration with a conflict is never auto-approved.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.deal_registrations import (
    DealConflictKind,
    DealRegistration,
    DealRegistrationStatus,
    DirectDeal,
)
from models.webhooks import WebhookEventType
from services.customers.access import visible_customer
from services.customers.common import utcnow
from services.deals.approval_rules import auto_approval_for
from services.deals.companies import domain_problem, normalise_company, normalise_domain
from services.deals.custom_fields import active_fields, check_custom_values
from services.deals.registration_access import (
    require_draft_owner,
    require_partner_member,
    require_state,
    visible_registration,
)
from services.deals.registration_events import (
    RegistrationChange,
    announce,
    announce_committed,
    record_event,
)
from services.deals.registration_moves import approve_now
from services.deals.registration_settings import current_settings, holidays_of
from services.deals.service import check_amount, check_currency
from services.deals.working_days import add_working_days
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden
from services.platform.validation import check_email, clean_text
from services.platform.viewer import Viewer

Status = DealRegistrationStatus
CONFLICT_MESSAGE = "Another registration or a vendor deal already covers this company."
# (column, max length, multiline) of the plain text fields of the form.
TEXT_FIELDS = {
    "company_name": ("companyName", 200, False),
    "contact_name": ("contactName", 200, False),
    "contact_phone": ("contactPhone", 50, False),
    "products": ("products", 200, False),
    "notes": ("notes", 5000, True),
}
# The columns a submission needs (a draft needs only the company), with their input fields.
REQUIRED_TO_SUBMIT = {
    "company_name": "companyName",
    "contact_name": "contactName",
    "contact_email": "contactEmail",
    "products": "products",
    "amount": "amount",
}


@dataclass(frozen=True)
class RegistrationFields:
    """The form's fields; None leaves a field as it is (or empty for a new registration)."""

    company_name: str | None = None
    company_domain: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    products: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_on: date | None = None
    notes: str | None = None
    customer_id: int | None = None
    # Values of the vendor's own fields by key; an empty value removes one.
    custom_fields: dict[str, str] | None = None

    def given(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


@dataclass(frozen=True)
class Conflict:
    kind: DealConflictKind
    registration_id: int | None = None
    direct_deal_id: int | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "conflict_kind": self.kind,
            "conflict_registration_id": self.registration_id,
            "conflict_direct_deal_id": self.direct_deal_id,
        }

    def details(self) -> dict[str, Any]:
        """History details; the holder keys are cut for partners when read."""
        if self.kind is DealConflictKind.NONE:
            return {}
        found: dict[str, Any] = {"conflictKind": self.kind.value}
        if self.registration_id is not None:
            found["conflictRegistration"] = self.registration_id
        if self.direct_deal_id is not None:
            found["conflictDirectDeal"] = self.direct_deal_id
        return found


NO_CONFLICT = Conflict(DealConflictKind.NONE)


def _check_domain(value: str, problems: list[tuple[str, str]]) -> str:
    domain = normalise_domain(value)
    problem = domain_problem(domain)
    if problem:
        problems.append(("companyDomain", problem))
    return domain


async def _checked_values(
    viewer: Viewer,
    changes: RegistrationFields,
    current: DealRegistration | None,
    *,
    submitting: bool,
) -> dict[str, Any]:
    """The column values to store for these changes, checked (ValidationFailed otherwise)."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for column, (field, max_length, multiline) in TEXT_FIELDS.items():
        raw = getattr(changes, column)
        if raw is not None:
            values[column] = clean_text(
                raw, field, problems, max_length=max_length, multiline=multiline
            )
    if changes.company_domain is not None:
        values["company_domain"] = _check_domain(changes.company_domain, problems)
    if changes.contact_email is not None:
        email = changes.contact_email.strip()
        values["contact_email"] = check_email(email, "contactEmail", problems) if email else ""
    if changes.amount is not None:
        values["amount"] = check_amount(changes.amount, "amount", problems)
    if changes.currency is not None:
        values["currency"] = check_currency(changes.currency, problems)
    if changes.expected_close_on is not None:
        values["expected_close_on"] = changes.expected_close_on
    merged = {c: values.get(c, getattr(current, c, None)) for c in REQUIRED_TO_SUBMIT}
    if not merged["company_name"]:
        problems.append(("companyName", "Name the company."))
    if submitting:
        for column, field in REQUIRED_TO_SUBMIT.items():
            if column != "company_name" and not merged[column]:
                problems.append((field, "This is required to submit the registration."))
    definitions = await active_fields()
    keys = {d.key for d in definitions}
    stored = {k: v for k, v in (current.custom_values if current else {}).items() if k in keys}
    given = {**stored, **(changes.custom_fields or {})}
    values["custom_values"] = check_custom_values(
        definitions, given, problems, require_all=submitting
    )
    if changes.customer_id is not None:
        customer = await visible_customer(viewer, changes.customer_id)
        values["customer_id"] = customer.id
    if problems:
        raise ValidationFailed(problems)
    if "company_name" in values:
        values["normalised_company"] = normalise_company(values["company_name"])
    return values


async def find_conflict(
    partner_id: int, normalised_company: str, company_domain: str, now: datetime
) -> Conflict:
    """Another partner's approved, still protected registration or an open direct deal for the
    same company (name or domain). An approval whose protection ended protects nothing."""
    same = Q(normalised_company=normalised_company)
    if company_domain:
        same |= Q(company_domain=company_domain)
    holder = (
        await DealRegistration.filter(same, status=Status.APPROVED, protected_until__gt=now)
        .exclude(partner_id=partner_id)
        .order_by("id")
        .first()
    )
    if holder is not None:
        return Conflict(DealConflictKind.PARTNER_REGISTRATION, registration_id=holder.id)
    direct = await DirectDeal.filter(same, is_open=True).order_by("id").first()
    if direct is not None:
        return Conflict(DealConflictKind.DIRECT_DEAL, direct_deal_id=direct.id)
    return NO_CONFLICT


async def _submission_values(
    partner_id: int, normalised: str, domain: str, now: datetime
) -> tuple[dict[str, Any], Conflict]:
    settings = await current_settings()
    due = add_working_days(
        now, settings.review_target_working_days, settings.time_zone, holidays_of(settings)
    )
    conflict = await find_conflict(partner_id, normalised, domain, now)
    values = {
        "status": Status.SUBMITTED,
        "submitted_at": now,
        "review_due_at": due,
        "review_reminded_at": None,
        **conflict.columns(),
    }
    return values, conflict


async def _auto_approve(registration: DealRegistration, now: datetime) -> DealRegistration:
    """Approve at once when an auto-approval rule matches (never a registration in conflict)."""
    if registration.conflict_kind is not DealConflictKind.NONE:
        return registration
    match = await auto_approval_for(registration)
    if match is None:
        return registration
    settings = await current_settings()
    change = await approve_now(
        registration.id,
        protection_days=settings.protection_days,
        actor_id=None,
        now=now,
        kind="auto_approved",
        details={"ruleVersion": match.rule_version_id, "group": match.group_index},
        rule_version_id=match.rule_version_id,
        rule_group=match.group_index,
    )
    return change.registration


def _require_partner(viewer: Viewer) -> int:
    if not viewer.is_partner_member or viewer.partner_id is None or viewer.is_acting_as_customer:
        raise forbidden("Only partner users register deals.")
    return viewer.partner_id


async def save_draft(
    viewer: Viewer, changes: RegistrationFields, now: datetime | None = None
) -> DealRegistration:
    """A new DRAFT (only the company is required; required custom fields are not)."""
    now = now or utcnow()
    partner_id = _require_partner(viewer)
    values = await _checked_values(viewer, changes, None, submitting=False)
    async with in_transaction():
        registration = await DealRegistration.create(
            partner_id=partner_id,
            submitted_by_id=viewer.user_id,
            status=Status.DRAFT,
            created_at=now,
            updated_at=now,
            **values,
        )
        event = await record_event(registration, "drafted", None, viewer.user_id, "", {}, now)
        change = RegistrationChange(registration, event, None)
        await announce(change, None)
    await announce_committed(change)
    return registration


async def submit_registration(
    viewer: Viewer, changes: RegistrationFields, now: datetime | None = None
) -> DealRegistration:
    """A new registration straight to SUBMITTED (duplicate check, then maybe auto-approval)."""
    now = now or utcnow()
    partner_id = _require_partner(viewer)
    values = await _checked_values(viewer, changes, None, submitting=True)
    submission, conflict = await _submission_values(
        partner_id, values["normalised_company"], values.get("company_domain", ""), now
    )
    async with in_transaction():
        registration = await DealRegistration.create(
            partner_id=partner_id,
            submitted_by_id=viewer.user_id,
            first_submitted_at=now,
            created_at=now,
            updated_at=now,
            **values,
            **submission,
        )
        event = await record_event(
            registration, "submitted", None, viewer.user_id, "", conflict.details(), now
        )
        change = RegistrationChange(registration, event, None)
        await announce(change, WebhookEventType.DEAL_REGISTRATION_SUBMITTED)
    await announce_committed(change)
    return await _auto_approve(registration, now)


async def update_registration(
    viewer: Viewer, registration_id: int, changes: RegistrationFields, now: datetime | None = None
) -> DealRegistration:
    """Edit a DRAFT (its author or a partner admin) or an INFO_REQUESTED registration (the
    partner's users) without submitting it."""
    now = now or utcnow()
    registration = await visible_registration(viewer, registration_id)
    _require_editor(viewer, registration)
    require_state(
        registration,
        frozenset({Status.DRAFT, Status.INFO_REQUESTED}),
        now,
        "Only a draft or a registration the vendor asked about can be changed.",
    )
    values = await _checked_values(viewer, changes, registration, submitting=False)
    async with in_transaction():
        changed = await DealRegistration.filter(
            id=registration.id, status=registration.status
        ).update(updated_at=now, **values)
        if not changed:
            raise ServiceError(ErrorCode.INVALID, "The registration changed meanwhile.", "id")
        updated = await DealRegistration.get(id=registration.id)
        details = {"fields": sorted(changes.given())}
        event = await record_event(
            updated, "updated", registration.status, viewer.user_id, "", details, now
        )
        await announce(RegistrationChange(updated, event, registration.status), None)
    await announce_committed(RegistrationChange(updated, event, registration.status))
    return updated


def _require_editor(viewer: Viewer, registration: DealRegistration) -> None:
    if registration.status is Status.DRAFT:
        require_draft_owner(viewer, registration)
    else:
        require_partner_member(viewer, registration)


async def submit_existing(
    viewer: Viewer,
    registration_id: int,
    changes: RegistrationFields | None = None,
    answer: str = "",
    now: datetime | None = None,
) -> DealRegistration:
    """Submit a DRAFT, or resubmit an INFO_REQUESTED registration with the partner's `answer`
    (required then), with optional last changes: a new review due time, the duplicate check
    again, and auto-approval when a rule matches."""
    now = now or utcnow()
    registration = await visible_registration(viewer, registration_id)
    _require_editor(viewer, registration)
    require_state(
        registration,
        frozenset({Status.DRAFT, Status.INFO_REQUESTED}),
        now,
        "Only a draft or a registration the vendor asked about can be submitted.",
    )
    resubmission = registration.status is Status.INFO_REQUESTED
    problems: list[tuple[str, str]] = []
    answer_text = clean_text(
        answer, "answer", problems, max_length=5000, multiline=True, required=resubmission
    )
    if problems:
        raise ValidationFailed(problems)
    values = await _checked_values(
        viewer, changes or RegistrationFields(), registration, submitting=True
    )
    submission, conflict = await _submission_values(
        registration.partner_id,  # type: ignore[attr-defined]
        values.get("normalised_company", registration.normalised_company),
        values.get("company_domain", registration.company_domain),
        now,
    )
    if registration.first_submitted_at is None:
        submission["first_submitted_at"] = now
    async with in_transaction():
        changed = await DealRegistration.filter(
            id=registration.id, status=registration.status
        ).update(updated_at=now, **values, **submission)
        if not changed:
            raise ServiceError(ErrorCode.INVALID, "The registration changed meanwhile.", "id")
        submitted = await DealRegistration.get(id=registration.id)
        kind = "resubmitted" if resubmission else "submitted"
        event = await record_event(
            submitted,
            kind,
            registration.status,
            viewer.user_id,
            answer_text,
            conflict.details(),
            now,
        )
        change = RegistrationChange(submitted, event, registration.status)
        await announce(change, WebhookEventType.DEAL_REGISTRATION_SUBMITTED)
    await announce_committed(change)
    return await _auto_approve(submitted, now)


async def delete_draft(viewer: Viewer, registration_id: int) -> None:
    """Delete a draft (its author or a partner admin); a submitted registration stays."""
    registration = await visible_registration(viewer, registration_id)
    require_draft_owner(viewer, registration)
    deleted = await DealRegistration.filter(id=registration.id, status=Status.DRAFT).delete()
    if not deleted:
        raise ServiceError(ErrorCode.INVALID, "Only a draft can be deleted.", "id")
