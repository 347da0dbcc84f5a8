"""Customer accounts that partners bring, with their primary, billing and decision-maker
contacts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.accounts import ActivityKind
from models.customers import Customer, CustomerContact
from models.enums import ContactRole, CustomerStatus
from models.partners import PartnerOrg
from models.webhooks import WebhookEventType
from services.customers.common import record_activity
from services.customers.trials import settle_ended_trials
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.nested_pages import counts_per_parent, pages_per_parent
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import clean_search, clean_text, validate_email
from services.platform.viewer import Viewer
from services.vendor.service import get_vendor_settings
from services.webhooks.events import emit


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
    window: PageWindow = PageWindow(),
) -> Page[Customer]:
    await settle_ended_trials(viewer)
    queryset = Customer.filter(viewer.partner_filter("partner_id"), viewer.customer_filter())
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    search = clean_search(search)
    if search:
        queryset = queryset.filter(name__icontains=search)
    return await paginate(queryset, window)


async def get_customer(viewer: Viewer, customer_id: int) -> Customer:
    await settle_ended_trials(viewer)
    customer = await Customer.get_or_none(id=customer_id)
    if (
        customer is None
        or not viewer.can_see_partner(customer.partner_id)  # type: ignore[attr-defined]
        or (viewer.is_acting_as_customer and customer.id != viewer.acting_customer_id)
    ):
        raise not_found("Customer")
    return customer


async def create_customer(
    viewer: Viewer, partner_id: int | None, name: str, contacts: list[NewContact]
) -> Customer:
    """A partner opens a customer account, which starts a trial of the vendor's trial length."""
    if viewer.is_partner_member and partner_id is None:
        partner_id = viewer.partner_id
    elif partner_id is None:
        raise ValidationFailed([("partnerId", "Say which partner brings this customer.")])
    assert partner_id is not None
    # Naming another partner is refused like naming a missing one, never silently redirected.
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner", "partnerId")
    if not (viewer.is_partner_member or viewer.is_vendor_admin):
        raise forbidden("Only the partner or a vendor admin can open a customer account.")
    if not await PartnerOrg.exists(id=partner_id):  # a vendor admin may name any id
        raise not_found("Partner", "partnerId")
    problems: list[tuple[str, str]] = []
    name = clean_text(name, "name", problems, max_length=200)
    if not name:
        problems.append(("name", "A customer needs a name."))
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
        full_name = clean_text(
            contact.full_name, f"contacts[{index}].fullName", problems, max_length=200
        )
        checked_contacts.append(NewContact(contact.role, email, full_name))
    if problems:
        raise ValidationFailed(problems)
    vendor = await get_vendor_settings()
    duplicate = ServiceError(
        ErrorCode.DUPLICATE, "You already have a customer with this name.", "name"
    )
    try:
        async with in_transaction():
            if await Customer.filter(partner_id=partner_id, name__iexact=name).exists():
                raise duplicate
            customer = await _create_customer_rows(
                partner_id, name, vendor.trial_length_days, checked_contacts
            )
            await record_activity(
                customer.id,
                ActivityKind.ACCOUNT_CREATED,
                f"Account opened with a {vendor.trial_length_days}-day trial.",
                actor_id=viewer.user_id,
            )
            await emit(WebhookEventType.CUSTOMER_CREATED, customer)
    except IntegrityError:  # the same name saved at the same moment
        raise duplicate from None
    return customer


async def _create_customer_rows(
    partner_id: int, name: str, trial_length_days: int, contacts: list[NewContact]
) -> Customer:
    customer = await Customer.create(
        partner_id=partner_id,
        name=name,
        status=CustomerStatus.TRIAL,
        trial_ends_at=datetime.now(UTC) + timedelta(days=trial_length_days),
    )
    await CustomerContact.bulk_create(
        [
            CustomerContact(
                customer_id=customer.id, role=c.role, email=c.email, full_name=c.full_name
            )
            for c in contacts
        ]
    )
    return customer


async def contacts_of_customers(customer_ids: list[int]) -> dict[int, list[CustomerContact]]:
    result: dict[int, list[CustomerContact]] = defaultdict(list)
    for contact in await CustomerContact.filter(customer_id__in=customer_ids).order_by("id"):
        result[contact.customer_id].append(contact)  # type: ignore[attr-defined]
    return result


async def customers_by_id(customer_ids: list[int]) -> dict[int, Customer]:
    """The customers with these ids, by id, in one query. No visibility check: for the records
    (deals, commissions) the caller has already been allowed to see."""
    return {c.id: c for c in await Customer.filter(id__in=customer_ids)}


async def customers_of_partners(
    viewer: Viewer, partner_ids: list[int], window: PageWindow
) -> dict[int, Page[Customer]]:
    """A page of the customers of each partner the viewer may see, in one query (DataLoader)."""
    await settle_ended_trials(viewer)
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    queryset = Customer.filter(viewer.customer_filter())
    pages = await pages_per_parent(queryset, "partner_id", visible, window)
    return {p: pages.get(p) or Page(items=[], has_next_page=False) for p in partner_ids}


async def customer_counts_of_partners(viewer: Viewer, partner_ids: list[int]) -> dict[int, int]:
    """How many customers each partner the viewer may see has, in one query."""
    visible = [p for p in partner_ids if viewer.can_see_partner(p)]
    queryset = Customer.filter(viewer.customer_filter())
    counts = await counts_per_parent(queryset, "partner_id", visible)
    return {p: counts.get(p, 0) for p in partner_ids}
