"""Lead management settings and a partner's own leads (SPEC §5).

- Settings per partner org: auto-registration on/off (off by default), the mode
  (`SUPPLIER_MANAGED`: the rules the vendor wrote for this partner, `PARTNER_DEFINED`: the
  partner admin's own), auto-accept of distributed leads, ignored companies, and the default
  lead-notification recipients.
- Rule sets are versioned: every edit writes a new `RuleSetVersion` with who and when. Partner
  admins edit their own partner-defined rules, vendor admins the supplier-managed rules of any
  partner; a partner can read its supplier-managed rules but never change them.
- Creating or updating a partner lead runs the rules in force (never retroactively: changing the
  rules does not touch existing leads). A match starts the same registration as `registerLead`
  (`services.consent.start_registration`): the protection-window conflict check, then the consent
  request email; the lead is registered (linked) only when the customer approves. The rule set
  version and group that matched are recorded (`AutoRegistrationMatch` and a `LeadEvent`). Leads
  of ignored companies are never auto-registered.
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

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.enums import Role
from models.lead_management import (
    AutoRegistrationMatch,
    AutoRegistrationMode,
    IgnoredCompany,
    LeadManagementSettings,
    LeadSettingsChange,
    RuleSetOwner,
    RuleSetVersion,
)
from models.leads import Lead, LeadEvent, LeadSource, RegistrationStatus
from models.partners import PartnerOrg
from models.users import SalesRep, User
from services.consent.conflicts import partner_safe_details
from services.consent.ledger import Caller
from services.consent.live import LeadChange, publish_lead_changes
from services.consent.service import IDENTITY_LOCKED_STATUSES, start_registration
from services.email.suppression import normalise_address
from services.leads.rules import (
    Condition,
    Explanation,
    compile_rule_set,
    explain,
    lead_facts,
    normalise_text,
    rule_set_from_json,
    rule_set_to_json,
    validate_rule_set,
)
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.pagination import Page, paginate
from services.platform.validation import clean_text, validate_email, validated_text
from services.platform.viewer import Viewer
from settings import Settings

MAX_RECENT_LEADS = 100
DEFAULT_RECENT_LEADS = 20


# ---- who may do what ----------------------------------------------------------------------


def resolve_partner_id(viewer: Viewer, partner_id: int | None) -> int:
    """The partner an operation is about: the caller's own org unless vendor staff name one."""
    if partner_id is None:
        if viewer.partner_id is None:
            raise ValidationFailed([("partnerId", "Name the partner.")])
        partner_id = viewer.partner_id
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    return partner_id


def require_settings_reader(viewer: Viewer, partner_id: int | None) -> int:
    """Lead management settings are for partner admins (their org) and vendor staff."""
    partner_id = resolve_partner_id(viewer, partner_id)
    if not (viewer.is_vendor_staff or viewer.is_partner_admin):
        raise forbidden("Lead management settings need partner-admin permission.")
    return partner_id


async def require_settings_editor(viewer: Viewer, partner_id: int | None) -> int:
    """The partner whose lead settings the viewer changes; NOT_FOUND for no such partner, so
    that an unknown id never reaches a write (where it would fail as a foreign key)."""
    partner_id = resolve_partner_id(viewer, partner_id)
    if not (viewer.is_vendor_admin or viewer.is_partner_admin):
        raise forbidden("Only a partner admin or a vendor admin can change lead settings.")
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner", "partnerId")
    return partner_id


def can_edit_rules(viewer: Viewer, partner_id: int, owner: RuleSetOwner) -> bool:
    if owner is RuleSetOwner.SUPPLIER:
        return viewer.is_vendor_admin
    return viewer.is_partner_admin and viewer.partner_id == partner_id


async def require_rule_editor(viewer: Viewer, partner_id: int | None, owner: RuleSetOwner) -> int:
    partner_id = require_settings_reader(viewer, partner_id)
    if not can_edit_rules(viewer, partner_id, owner):
        if owner is RuleSetOwner.SUPPLIER:
            raise forbidden("Supplier-managed rules are defined by the vendor: read-only for you.")
        raise forbidden("Only the partner's own admins define the partner's rules.")
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner", "partnerId")
    return partner_id


# ---- settings --------------------------------------------------------------------------------


async def settings_for(partner_id: int) -> LeadManagementSettings:
    """The partner's settings; an unsaved default row (everything off) if it has none yet."""
    row = await LeadManagementSettings.get_or_none(partner_id=partner_id)
    return row or LeadManagementSettings(partner_id=partner_id)


async def get_settings(viewer: Viewer, partner_id: int | None) -> LeadManagementSettings:
    partner_id = require_settings_reader(viewer, partner_id)
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    return await settings_for(partner_id)


async def _record_change(partner_id: int, viewer: Viewer, kind: str, **details: Any) -> None:
    await LeadSettingsChange.create(
        partner_id=partner_id, actor_id=viewer.user_id, kind=kind, details=details
    )


async def _save_settings(
    viewer: Viewer, partner_id: int, kind: str, **values: Any
) -> LeadManagementSettings:
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    async with in_transaction():
        row = await LeadManagementSettings.get_or_none(partner_id=partner_id)
        if row is None:
            row = await LeadManagementSettings.create(
                partner_id=partner_id, updated_by_id=viewer.user_id, **values
            )
        else:
            await LeadManagementSettings.filter(id=row.id).update(
                updated_by_id=viewer.user_id, updated_at=datetime.now(UTC), **values
            )
        await _record_change(
            partner_id,
            viewer,
            kind,
            **{k: v.value if hasattr(v, "value") else v for k, v in values.items()},
        )
    await row.refresh_from_db()
    return row


async def set_auto_registration(
    viewer: Viewer, partner_id: int | None, enabled: bool, mode: AutoRegistrationMode | None
) -> LeadManagementSettings:
    partner_id = await require_settings_editor(viewer, partner_id)
    values: dict[str, Any] = {"auto_registration_enabled": enabled}
    if mode is not None:
        values["mode"] = mode
    return await _save_settings(viewer, partner_id, "auto_registration", **values)


async def set_auto_accept(
    viewer: Viewer, partner_id: int | None, enabled: bool
) -> LeadManagementSettings:
    partner_id = await require_settings_editor(viewer, partner_id)
    return await _save_settings(viewer, partner_id, "auto_accept", auto_accept=enabled)


async def settings_history(
    viewer: Viewer, partner_id: int | None, limit: int = 50
) -> list[LeadSettingsChange]:
    partner_id = require_settings_reader(viewer, partner_id)
    return (
        await LeadSettingsChange.filter(partner_id=partner_id)
        .order_by("-id")
        .limit(max(1, min(limit, 200)))
        .prefetch_related("actor")
    )


# ---- rule sets -------------------------------------------------------------------------------


async def latest_rule_set(partner_id: int, owner: RuleSetOwner) -> RuleSetVersion | None:
    return (
        await RuleSetVersion.filter(partner_id=partner_id, owner=owner).order_by("-version").first()
    )


async def get_rule_set(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner
) -> tuple[int, RuleSetVersion | None]:
    partner_id = require_settings_reader(viewer, partner_id)
    return partner_id, await latest_rule_set(partner_id, owner)


async def rule_set_history(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner, limit: int = 50
) -> list[RuleSetVersion]:
    partner_id = require_settings_reader(viewer, partner_id)
    return (
        await RuleSetVersion.filter(partner_id=partner_id, owner=owner)
        .order_by("-version")
        .limit(max(1, min(limit, 200)))
        .prefetch_related("created_by")
    )


async def _save_rule_set(
    viewer: Viewer,
    partner_id: int,
    owner: RuleSetOwner,
    change: str,
    edit: Any,
) -> RuleSetVersion:
    """Write a new version: `edit(current_groups)` returns the new groups (validated here)."""
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    try:
        async with in_transaction():
            current = await latest_rule_set(partner_id, owner)
            groups = rule_set_from_json(current.groups) if current is not None else []
            new_groups = edit(groups)
            validate_rule_set(new_groups)
            return await RuleSetVersion.create(
                partner_id=partner_id,
                owner=owner,
                version=(current.version if current is not None else 0) + 1,
                groups=rule_set_to_json(new_groups),
                change=change[:200],
                created_by_id=viewer.user_id,
            )
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE,
            "The rules were changed by someone else at the same time; load them and try again.",
            "groups",
        ) from None


async def replace_rule_set(
    viewer: Viewer,
    partner_id: int | None,
    owner: RuleSetOwner,
    groups: Sequence[Sequence[Condition]],
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)
    new_groups = [list(group) for group in groups]
    validate_rule_set(new_groups)
    return await _save_rule_set(
        viewer,
        partner_id,
        owner,
        f"replaced the rule set ({len(new_groups)} groups)",
        lambda _current: new_groups,
    )


def _check_group_index(groups: list[list[Condition]], group_index: int) -> None:
    if not 0 <= group_index < len(groups):
        raise ValidationFailed([("groupIndex", f"There is no group {group_index}.")])


async def add_group(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner, conditions: Sequence[Condition]
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        return [*groups, list(conditions)]

    return await _save_rule_set(viewer, partner_id, owner, "added a group", edit)


async def remove_group(
    viewer: Viewer, partner_id: int | None, owner: RuleSetOwner, group_index: int
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        _check_group_index(groups, group_index)
        return groups[:group_index] + groups[group_index + 1 :]

    return await _save_rule_set(viewer, partner_id, owner, f"removed group {group_index}", edit)


async def add_condition(
    viewer: Viewer,
    partner_id: int | None,
    owner: RuleSetOwner,
    group_index: int,
    condition: Condition,
) -> RuleSetVersion:
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        _check_group_index(groups, group_index)
        groups[group_index] = [*groups[group_index], condition]
        return groups

    return await _save_rule_set(
        viewer, partner_id, owner, f"added a condition to group {group_index}", edit
    )


async def remove_condition(
    viewer: Viewer,
    partner_id: int | None,
    owner: RuleSetOwner,
    group_index: int,
    condition_index: int,
) -> RuleSetVersion:
    """Remove one condition; a group left without conditions is removed with it."""
    partner_id = await require_rule_editor(viewer, partner_id, owner)

    def edit(groups: list[list[Condition]]) -> list[list[Condition]]:
        _check_group_index(groups, group_index)
        group = groups[group_index]
        if not 0 <= condition_index < len(group):
            raise ValidationFailed(
                [("conditionIndex", f"Group {group_index} has no condition {condition_index}.")]
            )
        remaining = group[:condition_index] + group[condition_index + 1 :]
        if remaining:
            groups[group_index] = remaining
            return groups
        return groups[:group_index] + groups[group_index + 1 :]

    return await _save_rule_set(
        viewer,
        partner_id,
        owner,
        f"removed condition {condition_index} of group {group_index}",
        edit,
    )


# ---- ignored companies -----------------------------------------------------------------------


def normalise_company(name: str) -> str:
    return normalise_text(name)


async def list_ignored_companies(viewer: Viewer, partner_id: int | None) -> list[IgnoredCompany]:
    partner_id = require_settings_reader(viewer, partner_id)
    return await IgnoredCompany.filter(partner_id=partner_id).order_by("normalised_name")


async def add_ignored_company(
    viewer: Viewer, partner_id: int | None, name: str
) -> list[IgnoredCompany]:
    partner_id = await require_settings_editor(viewer, partner_id)
    display = " ".join(validated_text(name, "name", max_length=200).split())
    if not display:
        raise ValidationFailed([("name", "Name the company.")])
    normalised = normalise_company(display)
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    async with in_transaction():
        if not await IgnoredCompany.exists(partner_id=partner_id, normalised_name=normalised):
            await IgnoredCompany.create(
                partner_id=partner_id,
                name=display,
                normalised_name=normalised,
                created_by_id=viewer.user_id,
            )
            await _record_change(partner_id, viewer, "ignored_company_added", name=display)
    return await IgnoredCompany.filter(partner_id=partner_id).order_by("normalised_name")


async def remove_ignored_company(
    viewer: Viewer, partner_id: int | None, name: str
) -> list[IgnoredCompany]:
    partner_id = await require_settings_editor(viewer, partner_id)
    normalised = normalise_company(name)
    async with in_transaction():
        removed = await IgnoredCompany.filter(
            partner_id=partner_id, normalised_name=normalised
        ).delete()
        if not removed:
            raise ValidationFailed([("name", "This company is not on the ignored list.")])
        await _record_change(partner_id, viewer, "ignored_company_removed", name=name.strip())
    return await IgnoredCompany.filter(partner_id=partner_id).order_by("normalised_name")


async def is_ignored_company(partner_id: int, company: str) -> bool:
    normalised = normalise_company(company)
    return bool(normalised) and await IgnoredCompany.exists(
        partner_id=partner_id, normalised_name=normalised
    )


# ---- default lead-notification recipients ----------------------------------------------------


@dataclass
class NotificationRecipients:
    partner_id: int
    users: list[User]
    sales_reps: list[SalesRep]
    supplier_default_user: User | None
    all_users: list[User]
    all_sales_reps: list[SalesRep]


async def get_notification_recipients(
    viewer: Viewer, partner_id: int | None
) -> NotificationRecipients:
    partner_id = require_settings_reader(viewer, partner_id)
    users = await User.filter(partner_id=partner_id).order_by("id")
    reps = await SalesRep.filter(partner_id=partner_id).order_by("id")
    return NotificationRecipients(
        partner_id=partner_id,
        users=[u for u in users if u.is_default_lead_recipient],
        sales_reps=[r for r in reps if r.is_default_lead_recipient],
        supplier_default_user=next((u for u in users if u.is_supplier_default_lead_owner), None),
        all_users=users,
        all_sales_reps=reps,
    )


async def set_notification_recipients(
    viewer: Viewer, partner_id: int | None, user_ids: Sequence[int], sales_rep_ids: Sequence[int]
) -> NotificationRecipients:
    """Choose exactly which partner users and sales reps get lead notification emails."""
    partner_id = await require_settings_editor(viewer, partner_id)
    wanted_users = set(user_ids)
    wanted_reps = set(sales_rep_ids)
    known_users = set(
        await User.filter(partner_id=partner_id, id__in=sorted(wanted_users)).values_list(
            "id", flat=True
        )
    )
    known_reps = set(
        await SalesRep.filter(partner_id=partner_id, id__in=sorted(wanted_reps)).values_list(
            "id", flat=True
        )
    )
    problems = []
    if wanted_users - known_users:
        problems.append(("userIds", "Some of these users are not in the partner organisation."))
    if wanted_reps - known_reps:
        problems.append(("salesRepIds", "Some of these sales reps are not the partner's."))
    if problems:
        raise ValidationFailed(problems)
    async with in_transaction():
        await (
            User.filter(partner_id=partner_id)
            .exclude(id__in=sorted(wanted_users))
            .update(is_default_lead_recipient=False)
        )
        if wanted_users:
            await User.filter(partner_id=partner_id, id__in=sorted(wanted_users)).update(
                is_default_lead_recipient=True
            )
        await (
            SalesRep.filter(partner_id=partner_id)
            .exclude(id__in=sorted(wanted_reps))
            .update(is_default_lead_recipient=False)
        )
        if wanted_reps:
            await SalesRep.filter(partner_id=partner_id, id__in=sorted(wanted_reps)).update(
                is_default_lead_recipient=True
            )
        await _record_change(
            partner_id,
            viewer,
            "notification_recipients",
            user_ids=sorted(wanted_users),
            sales_rep_ids=sorted(wanted_reps),
        )
    return await get_notification_recipients(viewer, partner_id)


async def set_supplier_default_user(
    viewer: Viewer, partner_id: int, user_id: int | None
) -> NotificationRecipients:
    """The vendor nominates (or clears) the partner user who always gets lead notifications."""
    partner_id = resolve_partner_id(viewer, partner_id)
    viewer.require_vendor_admin()
    if user_id is not None and not await User.exists(
        id=user_id, partner_id=partner_id, role__in=[Role.PARTNER_ADMIN, Role.PARTNER_USER]
    ):
        raise ValidationFailed([("userId", "This user is not in the partner organisation.")])
    async with in_transaction():
        await User.filter(partner_id=partner_id).update(is_supplier_default_lead_owner=False)
        if user_id is not None:
            await User.filter(id=user_id).update(is_supplier_default_lead_owner=True)
        await _record_change(partner_id, viewer, "supplier_default_user", user_id=user_id)
    return await get_notification_recipients(viewer, partner_id)


# ---- a partner's own leads -------------------------------------------------------------------


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
    return lead


def can_see_lead(viewer: Viewer, lead: Lead) -> bool:
    partner_id = lead.partner_id  # type: ignore[attr-defined]
    if partner_id is None:
        return viewer.is_vendor_admin
    return viewer.can_see_partner(partner_id)


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
        match = await auto_register(settings, lead, viewer.user_id, caller)
    if match is not None:
        await publish_lead_changes(settings, [LeadChange(lead.id, viewer.partner_id)])
    return lead


async def list_leads(
    viewer: Viewer,
    partner_id: int | None,
    distribution_status: Any | None,
    first: int | None,
    after: str | None,
) -> Page[Lead]:
    queryset = Lead.all()
    if viewer.is_vendor_admin:
        if partner_id is not None:
            queryset = queryset.filter(partner_id=partner_id)
    else:
        queryset = queryset.filter(viewer.partner_filter("partner_id"))
        if partner_id is not None:
            queryset = queryset.filter(partner_id=partner_id)
    if distribution_status is not None:
        queryset = queryset.filter(distribution_status=distribution_status)
    return await paginate(queryset, first, after)


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


# ---- explain (dry run) -----------------------------------------------------------------------


@dataclass
class ExplainedRuleSet:
    partner_id: int
    owner: RuleSetOwner | None
    version: int | None
    proposed: bool
    auto_registration_enabled: bool
    leads: list[tuple[Lead, Explanation]]


async def explain_auto_registration(
    viewer: Viewer,
    partner_id: int | None,
    *,
    lead_id: int | None = None,
    proposed_groups: Sequence[Sequence[Condition]] | None = None,
    owner: RuleSetOwner | None = None,
    recent: int = DEFAULT_RECENT_LEADS,
) -> ExplainedRuleSet:
    """What a rule set (the saved one in force, a saved one by owner, or a proposed one) would
    do with one lead or with the partner's most recent leads, condition by condition.

    Nothing is written: this is a dry run.
    """
    partner_id = require_settings_reader(viewer, partner_id)
    settings = await settings_for(partner_id)
    if proposed_groups is not None:
        groups = [list(group) for group in proposed_groups]
        validate_rule_set(groups)
        version_number = None
    else:
        if owner is None:
            owner = (
                RuleSetOwner.SUPPLIER
                if settings.mode is AutoRegistrationMode.SUPPLIER_MANAGED
                else RuleSetOwner.PARTNER
            )
        saved = await latest_rule_set(partner_id, owner)
        groups = rule_set_from_json(saved.groups) if saved is not None else []
        version_number = saved.version if saved is not None else None
    if lead_id is not None:
        lead = await Lead.get_or_none(id=lead_id, partner_id=partner_id)
        if lead is None or not can_see_lead(viewer, lead):
            raise not_found("Lead")
        if lead.source is not LeadSource.PARTNER:
            raise ValidationFailed(
                [
                    (
                        "leadId",
                        "Only the partner's own leads are auto-registered, not distributed ones.",
                    )
                ]
            )
        leads = [lead]
    else:
        if not 1 <= recent <= MAX_RECENT_LEADS:
            raise ValidationFailed([("recent", f"Choose 1 to {MAX_RECENT_LEADS} leads.")])
        leads = (
            await Lead.filter(partner_id=partner_id, source=LeadSource.PARTNER)
            .order_by("-id")
            .limit(recent)
        )
    ignored = set(
        await IgnoredCompany.filter(partner_id=partner_id).values_list("normalised_name", flat=True)
    )
    explained = [
        (
            lead,
            explain(
                groups,
                lead_facts(lead),
                ignored_company=bool(lead.company.strip())
                and normalise_company(lead.company) in ignored,
            ),
        )
        for lead in leads
    ]
    return ExplainedRuleSet(
        partner_id=partner_id,
        owner=None if proposed_groups is not None else owner,
        version=version_number,
        proposed=proposed_groups is not None,
        auto_registration_enabled=settings.auto_registration_enabled,
        leads=explained,
    )
