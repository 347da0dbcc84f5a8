"""Renewal ownership (SPEC section 6): who owns the renewal communication and who is told.

A partner has a default renewal-communication owner for all its customers, the vendor or the
partner, and a partner user as point of contact. A customer can override it: follow the default,
vendor, or partner with a chosen contact. The plan in force decides who is told:

- vendor-owned: the customer's primary, billing and decision-maker contacts, with a copy to the
  partner's point of contact;
- partner-owned: the partner's point of contact only (the partner's active admins when the
  contact left).

The notices (notices.py) go to exactly the recipients `renewal_plans` names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from models.customers import Customer, CustomerContact
from models.enums import PARTNER_ROLES, ContactRole, Role
from models.partners import PartnerOrg
from models.renewals import (
    CustomerRenewalOwner,
    PartnerRenewalSettings,
    RenewalOwner,
    RenewalOwnerChoice,
)
from models.users import User
from services.customers.access import visible_customer
from services.customers.attention import RENEWAL_CONTACT_ROLES
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, forbidden, not_found
from services.platform.viewer import Viewer


class RecipientKind(StrEnum):
    PRIMARY = "primary"
    BILLING = "billing"
    DECISION_MAKER = "decision_maker"
    PARTNER_CONTACT = "partner_contact"


class OwnerSource(StrEnum):
    PARTNER_DEFAULT = "partner_default"
    CUSTOMER_OVERRIDE = "customer_override"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    kinds: tuple[RecipientKind, ...]
    # A copy for the partner of a notice the vendor sends to the customer.
    is_copy: bool
    user_id: int | None = None


@dataclass
class RenewalPlan:
    owner: RenewalOwner
    source: OwnerSource
    contact: User | None
    recipients: list[Recipient] = field(default_factory=list)


@dataclass(frozen=True)
class PartnerRenewalDefault:
    partner_id: int
    owner: RenewalOwner
    contact: User | None


@dataclass(frozen=True)
class CustomerRenewalChoice:
    customer_id: int
    owner: RenewalOwnerChoice
    contact: User | None


async def _partner_contact(partner_id: int, user_id: int | None, field_name: str) -> User | None:
    if user_id is None:
        return None
    user = await User.get_or_none(id=user_id, partner_id=partner_id, is_active=True)
    if user is None or user.role not in PARTNER_ROLES:
        raise ServiceError(
            ErrorCode.NOT_FOUND, "No active user of this partner has this id.", field_name
        )
    return user


async def _contact_of(row: PartnerRenewalSettings | CustomerRenewalOwner) -> User | None:
    """The row's contact user, loaded on its own. Not with select_related: its column aliases
    ("partner_renewal_settings__contact.is_supplier_default_lead_owner") are longer than
    PostgreSQL's 63-character identifiers, which truncates them and loses those fields."""
    contact_id: int | None = row.contact_id  # type: ignore[attr-defined]
    return await User.get_or_none(id=contact_id) if contact_id is not None else None


def _require_renewal_admin(viewer: Viewer, partner_id: int) -> None:
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    # Vendor admins, the partner's channel manager, and the partner's own admins.
    if not viewer.can_manage_partner_users(partner_id):
        raise forbidden("Only a partner admin can set renewal ownership.")


async def partner_renewal_default(viewer: Viewer, partner_id: int) -> PartnerRenewalDefault:
    if not viewer.can_see_partner(partner_id) or not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    row = await PartnerRenewalSettings.get_or_none(partner_id=partner_id)
    if row is None:
        return PartnerRenewalDefault(partner_id, RenewalOwner.VENDOR, None)
    return PartnerRenewalDefault(partner_id, row.default_owner, await _contact_of(row))


async def set_partner_renewal_default(
    viewer: Viewer, partner_id: int, owner: RenewalOwner, contact_user_id: int | None
) -> PartnerRenewalDefault:
    _require_renewal_admin(viewer, partner_id)
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    contact = await _partner_contact(partner_id, contact_user_id, "contactUserId")
    if owner is RenewalOwner.PARTNER and contact is None:
        raise ValidationFailed(
            [("contactUserId", "Choose the partner user who receives the renewal notices.")]
        )
    await PartnerRenewalSettings.update_or_create(
        partner_id=partner_id,
        defaults={"default_owner": owner, "contact_id": contact.id if contact else None},
    )
    return PartnerRenewalDefault(partner_id, owner, contact)


async def customer_renewal_choice(viewer: Viewer, customer_id: int) -> CustomerRenewalChoice:
    customer = await visible_customer(viewer, customer_id)
    row = await CustomerRenewalOwner.get_or_none(customer_id=customer.id)
    if row is None:
        return CustomerRenewalChoice(customer.id, RenewalOwnerChoice.DEFAULT, None)
    return CustomerRenewalChoice(customer.id, row.owner, await _contact_of(row))


async def set_customer_renewal_owner(
    viewer: Viewer, customer_id: int, owner: RenewalOwnerChoice, contact_user_id: int | None
) -> CustomerRenewalChoice:
    customer = await visible_customer(viewer, customer_id)
    partner_id: int = customer.partner_id  # type: ignore[attr-defined]
    _require_renewal_admin(viewer, partner_id)
    contact = await _partner_contact(partner_id, contact_user_id, "contactUserId")
    if owner is RenewalOwnerChoice.PARTNER and contact is None:
        raise ValidationFailed(
            [("contactUserId", "Choose the partner contact for this customer's renewals.")]
        )
    if owner is RenewalOwnerChoice.DEFAULT:
        contact = None
    await CustomerRenewalOwner.update_or_create(
        customer_id=customer.id,
        defaults={"owner": owner, "contact_id": contact.id if contact else None},
    )
    return CustomerRenewalChoice(customer.id, owner, contact)


# ---- the plan in force ------------------------------------------------------------------------


def _usable(user: User | None) -> User | None:
    return user if user is not None and user.is_active else None


async def renewal_plans(customers: list[Customer]) -> dict[int, RenewalPlan]:
    """The owner in force and the exact recipients for each customer, in a fixed number of
    queries whatever the number of customers."""
    if not customers:
        return {}
    customer_ids = [c.id for c in customers]
    partner_ids = sorted({c.partner_id for c in customers})  # type: ignore[attr-defined]
    defaults = {
        row.partner_id: row  # type: ignore[attr-defined]
        for row in await PartnerRenewalSettings.filter(partner_id__in=partner_ids)
    }
    overrides = {
        row.customer_id: row  # type: ignore[attr-defined]
        for row in await CustomerRenewalOwner.filter(customer_id__in=customer_ids)
    }
    contacts: dict[int, dict[ContactRole, CustomerContact]] = defaultdict(dict)
    for contact in await CustomerContact.filter(customer_id__in=customer_ids):
        contacts[contact.customer_id][contact.role] = contact  # type: ignore[attr-defined]
    user_ids = {row.contact_id for row in defaults.values()}  # type: ignore[attr-defined]
    user_ids |= {row.contact_id for row in overrides.values()}  # type: ignore[attr-defined]
    users = {u.id: u for u in await User.filter(id__in=[i for i in user_ids if i])}
    admins: dict[int, list[User]] = defaultdict(list)
    for admin in await User.filter(
        partner_id__in=partner_ids, role=Role.PARTNER_ADMIN, is_active=True
    ).order_by("id"):
        admins[admin.partner_id].append(admin)  # type: ignore[attr-defined]

    plans: dict[int, RenewalPlan] = {}
    for customer in customers:
        partner_id: int = customer.partner_id  # type: ignore[attr-defined]
        default = defaults.get(partner_id)
        default_owner = default.default_owner if default else RenewalOwner.VENDOR
        default_contact = _usable(users.get(default.contact_id)) if default else None  # type: ignore[attr-defined]
        override = overrides.get(customer.id)
        if override is None or override.owner is RenewalOwnerChoice.DEFAULT:
            owner, source, contact = default_owner, OwnerSource.PARTNER_DEFAULT, default_contact
        else:
            owner = RenewalOwner(override.owner.value)
            source = OwnerSource.CUSTOMER_OVERRIDE
            own_contact = _usable(users.get(override.contact_id))  # type: ignore[attr-defined]
            contact = own_contact or default_contact
        plan = RenewalPlan(owner=owner, source=source, contact=contact)
        partner_people = [contact] if contact else admins.get(partner_id, [])
        if owner is RenewalOwner.VENDOR:
            by_address: dict[str, tuple[str, list[RecipientKind]]] = {}
            for role in RENEWAL_CONTACT_ROLES:
                found = contacts[customer.id].get(role)
                if found is None:
                    continue
                _, kinds = by_address.setdefault(found.email, (found.full_name, []))
                kinds.append(RecipientKind(role.value))
            plan.recipients = [
                Recipient(email, name, tuple(kinds), is_copy=False)
                for email, (name, kinds) in by_address.items()
            ]
            if contact is not None:
                plan.recipients.append(
                    Recipient(
                        contact.email,
                        contact.full_name,
                        (RecipientKind.PARTNER_CONTACT,),
                        is_copy=True,
                        user_id=contact.id,
                    )
                )
        else:
            plan.recipients = [
                Recipient(
                    person.email,
                    person.full_name,
                    (RecipientKind.PARTNER_CONTACT,),
                    is_copy=False,
                    user_id=person.id,
                )
                for person in partner_people
            ]
        plans[customer.id] = plan
    return plans
