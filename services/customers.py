"""Customer accounts that partners bring, with their primary, billing and decision-maker
contacts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from models.customers import Customer, CustomerContact
from models.enums import ContactRole, CustomerStatus
from services.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.pagination import Page, paginate
from services.users import validate_email
from services.vendor import get_vendor_settings
from services.viewer import Viewer


@dataclass
class NewContact:
    role: ContactRole
    email: str
    full_name: str = ""


async def list_customers(
    viewer: Viewer,
    partner_id: int | None = None,
    status: CustomerStatus | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Customer]:
    queryset = Customer.filter(viewer.partner_filter("partner_id"))
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(name__icontains=search.strip())
    return await paginate(queryset, first, after)


async def get_customer(viewer: Viewer, customer_id: int) -> Customer:
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not viewer.can_see_partner(customer.partner_id):  # type: ignore[attr-defined]
        raise not_found("Customer")
    return customer


async def create_customer(
    viewer: Viewer, partner_id: int | None, name: str, contacts: list[NewContact]
) -> Customer:
    """A partner opens a customer account, which starts a trial of the vendor's trial length."""
    if viewer.is_partner_member:
        partner_id = viewer.partner_id
    elif partner_id is None:
        raise ValidationFailed([("partnerId", "Say which partner brings this customer.")])
    assert partner_id is not None
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    if not (viewer.is_partner_member or viewer.is_vendor_admin):
        raise forbidden("Only the partner or a vendor admin can open a customer account.")
    name = name.strip()
    problems: list[tuple[str, str]] = []
    if not 1 <= len(name) <= 200:
        problems.append(("name", "The name must be 1 to 200 characters long."))
    seen_roles: set[ContactRole] = set()
    checked_contacts: list[NewContact] = []
    for index, contact in enumerate(contacts):
        if contact.role in seen_roles:
            problems.append((f"contacts[{index}].role", "Each contact role can be given once."))
        seen_roles.add(contact.role)
        try:
            email = validate_email(contact.email, f"contacts[{index}].email")
        except ValidationFailed as failure:
            problems.extend(failure.problems)
            continue
        checked_contacts.append(NewContact(contact.role, email, contact.full_name.strip()[:200]))
    if problems:
        raise ValidationFailed(problems)
    vendor = await get_vendor_settings()
    async with in_transaction():
        if await Customer.filter(partner_id=partner_id, name=name).exists():
            raise ServiceError(
                ErrorCode.DUPLICATE, "You already have a customer with this name.", "name"
            )
        customer = await Customer.create(
            partner_id=partner_id,
            name=name,
            status=CustomerStatus.TRIAL,
            trial_ends_at=datetime.now(UTC) + timedelta(days=vendor.trial_length_days),
        )
        await CustomerContact.bulk_create(
            [
                CustomerContact(
                    customer_id=customer.id, role=c.role, email=c.email, full_name=c.full_name
                )
                for c in checked_contacts
            ]
        )
    return customer


async def contacts_of_customers(customer_ids: list[int]) -> dict[int, list[CustomerContact]]:
    result: dict[int, list[CustomerContact]] = defaultdict(list)
    for contact in await CustomerContact.filter(customer_id__in=customer_ids).order_by("id"):
        result[contact.customer_id].append(contact)  # type: ignore[attr-defined]
    return result
