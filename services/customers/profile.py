"""Editing a customer account after it was opened: its primary, billing and decision-maker
contacts, its main framework and the framework progress. The partner edits its own customers, a
vendor admin any; the customer's attention items follow at once (setting the renewal contacts
resolves "renewal contacts missing").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from models.customers import Customer, CustomerContact
from models.enums import ContactRole
from services.customers.access import visible_customer
from services.customers.attention import refresh_attention_items
from services.customers.common import clean_input
from services.customers.service import NewContact
from services.platform.errors import ValidationFailed, forbidden
from services.platform.validation import validate_email
from services.platform.viewer import Viewer


@dataclass
class CustomerChanges:
    """What to change; None leaves a value as it is."""

    main_framework: str | None = None
    framework_progress: int | None = None
    # Contacts to set: each replaces the customer's contact of the same role.
    contacts: list[NewContact] = field(default_factory=list)
    # Roles whose contact is removed.
    remove_contacts: list[ContactRole] = field(default_factory=list)


def _checked_contacts(
    contacts: list[NewContact], remove: list[ContactRole], problems: list[tuple[str, str]]
) -> list[NewContact]:
    seen: set[ContactRole] = set()
    checked: list[NewContact] = []
    for index, contact in enumerate(contacts):
        if contact.role in seen:
            problems.append((f"contacts[{index}].role", "Each contact role can be given once."))
        if contact.role in remove:
            problems.append((f"contacts[{index}].role", "This role is also being removed."))
        seen.add(contact.role)
        try:
            email = validate_email(contact.email, f"contacts[{index}].email")
        except ValidationFailed as failure:
            problems.extend(failure.problems)
            continue
        name = clean_input(
            contact.full_name, f"contacts[{index}].fullName", problems, max_length=200
        )
        checked.append(NewContact(contact.role, email, name))
    return checked


async def update_customer(viewer: Viewer, customer_id: int, changes: CustomerChanges) -> Customer:
    """Change a customer's contacts and framework progress; all or nothing."""
    customer = await visible_customer(viewer, customer_id, "id")
    if not (viewer.is_partner_member or viewer.is_vendor_admin):
        raise forbidden("Only the partner or a vendor admin can edit a customer account.")
    problems: list[tuple[str, str]] = []
    framework = None
    if changes.main_framework is not None:
        framework = clean_input(changes.main_framework, "mainFramework", problems, max_length=100)
    progress = changes.framework_progress
    if progress is not None and not 0 <= progress <= 100:
        problems.append(("frameworkProgress", "Progress is a percentage from 0 to 100."))
    contacts = _checked_contacts(changes.contacts, changes.remove_contacts, problems)
    if problems:
        raise ValidationFailed(problems)
    async with in_transaction():
        if framework is not None:
            customer.main_framework = framework
        if progress is not None:
            customer.framework_progress = progress
        if framework is not None or progress is not None:
            await customer.save(
                update_fields=["main_framework", "framework_progress", "updated_at"]
            )
        gone = list(changes.remove_contacts) + [c.role for c in contacts]
        if gone:
            await CustomerContact.filter(customer_id=customer.id, role__in=gone).delete()
        if contacts:
            await CustomerContact.bulk_create(
                [
                    CustomerContact(
                        customer_id=customer.id, role=c.role, email=c.email, full_name=c.full_name
                    )
                    for c in contacts
                ]
            )
    await refresh_attention_items(customer_ids=[customer.id])
    return customer
