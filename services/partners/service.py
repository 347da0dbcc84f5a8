"""Partner organisations: listing, creating (with their first partner admin), changing their
details, and the partners a channel manager looks after. Groups: services/partners/groups.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.enums import PartnerStatus, PartnerTier, Role
from models.partners import PartnerGroupMember, PartnerOrg
from models.users import ChannelManagerAssignment, User
from models.webhooks import WebhookEventType
from services.partners.groups import static_groups
from services.partners.rules import COUNTRY_CODE
from services.platform.errors import (
    ErrorCode,
    ServiceError,
    ValidationFailed,
    forbidden,
    not_found,
    with_field_prefix,
)
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.records import ModelRecord
from services.platform.validation import clean_search, clean_text, email_problem, normalise_email
from services.platform.viewer import Viewer
from services.users.service import NewUser, create_user_in_transaction
from services.webhooks.events import emit, emit_partner_changes


@dataclass
class PartnerFields:
    name: str | None = None
    status: PartnerStatus | None = None
    tier: PartnerTier | None = None
    country: str | None = None
    invoice_company_name: str | None = None
    invoice_vat_number: str | None = None
    invoice_address: str | None = None
    invoice_email: str | None = None


# Fields a partner admin may change on their own org; the rest is the vendor's to set.
PARTNER_EDITABLE_FIELDS = frozenset(
    {"invoice_company_name", "invoice_vat_number", "invoice_address", "invoice_email"}
)

# Free-text partner fields: the input field they come from, their maximum length, multi-line.
_PARTNER_TEXT_FIELDS = {
    "name": ("name", 200, False),
    "invoice_company_name": ("invoicing.companyName", 200, False),
    "invoice_vat_number": ("invoicing.vatNumber", 50, False),
    "invoice_address": ("invoicing.address", 1000, True),
}


def _validate_partner_fields(fields: PartnerFields, creating: bool) -> dict[str, Any]:
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {name: v for name, v in vars(fields).items() if v is not None}
    for name, (field, max_length, multiline) in _PARTNER_TEXT_FIELDS.items():
        if name in values:
            values[name] = clean_text(
                values[name], field, problems, max_length=max_length, multiline=multiline
            )
    if (creating or "name" in values) and not values.get("name"):
        problems.append(("name", "A partner needs a name."))
    if "country" in values:
        values["country"] = values["country"].strip().upper()
        if values["country"] and not COUNTRY_CODE.match(values["country"]):
            problems.append(("country", "Use a two-letter country code such as NL or DE."))
    if "invoice_email" in values:
        values["invoice_email"] = normalise_email(values["invoice_email"])
        problem = values["invoice_email"] and email_problem(values["invoice_email"])
        if problem:
            problems.append(("invoicing.email", problem))
    if problems:
        raise ValidationFailed(problems)
    return values


async def _refuse_duplicate_partner_name(name: str, partner_id: int | None = None) -> None:
    """Partner names are unique regardless of case: "ACME" and "Acme" are the same partner."""
    duplicates = PartnerOrg.filter(name__iexact=name)
    if partner_id is not None:
        duplicates = duplicates.exclude(id=partner_id)
    if await duplicates.exists():
        raise ServiceError(ErrorCode.DUPLICATE, "A partner with this name already exists.", "name")


async def list_partners(
    viewer: Viewer,
    window: PageWindow = PageWindow(),
    search: str | None = None,
    status: PartnerStatus | None = None,
) -> Page[PartnerOrg | ModelRecord]:
    queryset = PartnerOrg.filter(viewer.partner_filter("id"))
    search = clean_search(search)
    if search:
        queryset = queryset.filter(name__icontains=search)
    if status is not None:
        queryset = queryset.filter(status=status)
    # Records: the list's callers only read the partners' attributes.
    return await paginate(queryset, window, as_records=True)


async def get_partner(viewer: Viewer, partner_id: int) -> PartnerOrg:
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    partner = await PartnerOrg.get_or_none(id=partner_id)
    if partner is None:
        raise not_found("Partner")
    return partner


async def create_partner(
    viewer: Viewer, fields: PartnerFields, first_admin: NewUser, group_ids: Iterable[int] = ()
) -> PartnerOrg:
    """Create a partner org with its first partner admin (vendor admins only)."""
    viewer.require_vendor_admin()
    values = _validate_partner_fields(fields, creating=True)
    groups = await static_groups(group_ids)
    first_admin.role = Role.PARTNER_ADMIN
    try:
        async with in_transaction():
            await _refuse_duplicate_partner_name(values["name"])
            partner = await PartnerOrg.create(**values)
            await emit(WebhookEventType.PARTNER_CREATED, partner)
            try:
                await create_user_in_transaction(first_admin, partner)
            except ServiceError as error:
                raise with_field_prefix(error, "firstAdmin") from None
            for group in groups:
                await PartnerGroupMember.create(group=group, partner=partner)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "A partner with this name already exists.", "name"
        ) from None
    return partner


async def update_partner(viewer: Viewer, partner_id: int, fields: PartnerFields) -> PartnerOrg:
    partner = await get_partner(viewer, partner_id)
    values = _validate_partner_fields(fields, creating=False)
    if viewer.is_partner_member:
        if not viewer.is_partner_admin:
            raise forbidden("Only a partner admin can change the organisation's details.")
        vendor_only = sorted(set(values) - PARTNER_EDITABLE_FIELDS)
        if vendor_only:
            raise forbidden(f"Only the vendor can change: {', '.join(vendor_only)}.")
    if viewer.role is Role.CHANNEL_MANAGER and ({"status", "tier", "name"} & set(values)):
        raise forbidden("Only vendor admins can change a partner's name, status or tier.")
    if not values:
        return partner
    if "name" in values:
        await _refuse_duplicate_partner_name(values["name"], partner.id)
    before = (partner.status, partner.tier)
    try:
        async with in_transaction():
            await PartnerOrg.filter(id=partner.id).update(**values)
            await partner.refresh_from_db()
            await emit_partner_changes(partner, before)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.DUPLICATE, "A partner with this name already exists.", "name"
        ) from None
    return partner


async def set_managed_partners(viewer: Viewer, manager_id: int, partner_ids: Iterable[int]) -> None:
    """Replace the set of partners a channel manager looks after (vendor admins only)."""
    viewer.require_vendor_admin()
    manager = await User.get_or_none(id=manager_id, role=Role.CHANNEL_MANAGER)
    if manager is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "Channel manager not found.", "managerId")
    wanted = sorted(set(partner_ids))
    found = await PartnerOrg.filter(id__in=wanted).values_list("id", flat=True)
    if len(found) != len(wanted):
        raise ServiceError(ErrorCode.NOT_FOUND, "Partner not found.", "partnerIds")
    async with in_transaction():
        await ChannelManagerAssignment.filter(manager_id=manager.id).delete()
        await ChannelManagerAssignment.bulk_create(
            [ChannelManagerAssignment(manager_id=manager.id, partner_id=p) for p in wanted]
        )


async def partners_by_ids(viewer: Viewer, partner_ids: list[int]) -> dict[int, PartnerOrg]:
    """The partners among these ids that the viewer may see, by id, in one query."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    return {partner.id: partner for partner in await PartnerOrg.filter(id__in=visible)}
