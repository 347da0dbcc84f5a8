"""A realistic demo data set: a vendor, partners in groups and tiers, users of every role,
customers in trial, active and closed, so that GraphiQL shows a lived-in portal.

Everything is made through the domains' services, acting as the person who would do it in the
portal: the vendor admin (`channelport create-admin`) sets up the vendor, its staff, partners and
groups; each partner's admin adds the org's users, sales reps and customers. The vendor's product
reports the customers' frameworks and trial ends (`services/customers/product_reports.py`).
No part of the demo writes a model itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from models.enums import ContactRole, GroupKind, PartnerStatus, PartnerTier, Role
from models.partners import PartnerOrg
from services.consent.ledger import Caller
from services.customers import product_reports
from services.customers.service import NewContact, create_customer
from services.demo.accounts import load_accounts_demo, load_switch_attempts
from services.demo.activity import load_activity_demo
from services.demo.cast import DemoCast
from services.demo.deal_registrations import load_deal_registration_demo
from services.messaging.preferences import set_notification_preferences
from services.partners import groups as partner_groups
from services.partners import service as partners
from services.partners.service import PartnerFields
from services.platform.pagination import PageWindow
from services.users import service as users
from services.users.sales_reps import SalesRepFields, create_sales_rep
from services.users.service import NewUser, UserChanges
from services.vendor.service import VendorSettingsChanges, update_vendor_settings
from settings import Settings

DEMO_PASSWORD = "channelport-demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    partner: str | None


_PARTNERS = [
    # name, status, tier, country
    ("Northwind Security", PartnerStatus.ACTIVE, PartnerTier.PLATINUM, "NL"),
    ("Alpine Compliance GmbH", PartnerStatus.ACTIVE, PartnerTier.GOLD, "DE"),
    ("Fjord IT Partners", PartnerStatus.ACTIVE, PartnerTier.SILVER, "NO"),
    ("Harbor MSP", PartnerStatus.TEST, PartnerTier.REGISTERED, "GB"),
    ("Retired Reseller BV", PartnerStatus.INACTIVE, PartnerTier.SILVER, "BE"),
]

_CUSTOMERS = [
    # partner index, name, framework, progress. Each opens as a trial; the accounts part of the
    # demo converts Acme Logistics and Edelweiss Bank to paid and lets Copperfield Retail's
    # trial end.
    (0, "Acme Logistics", "ISO 27001", 72),
    (0, "Blue Lake Hospital", "NIS2", 18),
    (0, "Copperfield Retail", "ISO 27001", 5),
    (1, "Edelweiss Bank", "DORA", 55),
    (1, "Gipfel Maschinenbau", "ISO 27001", 31),
    (2, "Nordlys Energy", "NIS2", 9),
    (3, "Test Customer Ltd", "ISO 27001", 0),
]
_TRIAL_DAYS_LEFT = 11


def _slug(name: str) -> str:
    return "".join(c for c in name.lower().split()[0] if c.isalnum())


async def _vendor_and_staff(cast: DemoCast) -> None:
    """The first vendor admin, made as `channelport create-admin` makes it, then the rest."""
    cast.add_user(
        await users.create_user_in_transaction(
            NewUser(
                email="admin@vendor.example",
                full_name="Vera Vendor",
                role=Role.VENDOR_ADMIN,
                password=DEMO_PASSWORD,
            ),
            None,
        )
    )
    await update_vendor_settings(
        cast.vendor,
        VendorSettingsChanges(
            vendor_name="Northstar Compliance (demo vendor)",
            support_email="partners@vendor.example",
        ),
    )
    cast.add_user(
        await users.create_user(
            cast.vendor,
            None,
            NewUser(
                email="manager@vendor.example",
                full_name="Max Manager",
                role=Role.CHANNEL_MANAGER,
                password=DEMO_PASSWORD,
            ),
        )
    )


async def _partner_with_people(
    cast: DemoCast, name: str, status: PartnerStatus, tier: PartnerTier, country: str
) -> PartnerOrg:
    """A partner org with its admin (who turned Supplier Emails on), a user, an internal sales
    user and an external sales rep."""
    slug = _slug(name)
    partner = await partners.create_partner(
        cast.vendor,
        PartnerFields(
            name=name,
            status=status,
            tier=tier,
            country=country,
            invoice_company_name=name,
            invoice_email=f"billing@{slug}.example",
            invoice_address=f"1 Partner Street, {country}",
        ),
        NewUser(email=f"admin@{slug}.example", full_name=f"{name} Admin", password=DEMO_PASSWORD),
    )
    cast.partners[name] = partner
    # The org's first user: its admin, who receives new leads by default.
    admin = cast.add_user(
        (await users.users_of_partners(cast.vendor, [partner.id], PageWindow(first=1)))[
            partner.id
        ].items[0]
    )
    await set_notification_preferences(cast.as_user(admin.email), True, Caller())
    partner_admin = cast.as_user(admin.email)
    cast.add_user(
        await users.create_user(
            partner_admin,
            None,
            NewUser(
                email=f"user@{slug}.example",
                full_name=f"{name} User",
                role=Role.PARTNER_USER,
                password=DEMO_PASSWORD,
                locale="nl" if country == "NL" else "en",
            ),
        )
    )
    sales = await users.create_user(
        partner_admin,
        None,
        NewUser(
            email=f"sales@{slug}.example",
            full_name=f"{name} Sales",
            role=Role.PARTNER_USER,
            password=DEMO_PASSWORD,
        ),
    )
    cast.add_user(await users.update_user(partner_admin, sales.id, UserChanges(is_sales_rep=True)))
    await create_sales_rep(
        partner_admin,
        None,
        SalesRepFields(
            full_name="Sam External",
            email=f"sam@reps-for-{slug}.example",
            is_default_lead_recipient=True,
        ),
    )
    return partner


async def _groups(cast: DemoCast, benelux_members: list[PartnerOrg]) -> None:
    benelux = await partner_groups.save_group(
        cast.vendor, None, "Benelux", "Partners in the Benelux", GroupKind.STATIC, None
    )
    cast.groups[benelux.name] = await partner_groups.set_group_membership(
        cast.vendor, benelux.id, [p.id for p in benelux_members], member=True
    )
    cast.groups["Gold and above"] = await partner_groups.save_group(
        cast.vendor,
        None,
        "Gold and above",
        "Tier gold or platinum",
        GroupKind.DYNAMIC,
        [{"field": "tier", "operator": "in", "values": ["gold", "platinum"]}],
    )
    cast.groups["DACH"] = await partner_groups.save_group(
        cast.vendor,
        None,
        "DACH",
        "Germany, Austria, Switzerland",
        GroupKind.DYNAMIC,
        [{"field": "country", "operator": "in", "values": ["AT", "CH", "DE"]}],
    )


async def _customers(cast: DemoCast, partner_orgs: list[PartnerOrg]) -> None:
    """The partners open their customers' accounts with every contact; the product reports
    each account's framework and a trial that ends in eleven days."""
    for index, name, framework, progress in _CUSTOMERS:
        domain = _slug(name)
        customer = await create_customer(
            cast.as_user(f"admin@{_slug(partner_orgs[index].name)}.example"),
            None,
            name,
            [
                NewContact(
                    role=role,
                    email=f"{role.value.replace('_', '-')}@{domain}.example",
                    full_name=f"{name} {role.value}",
                )
                for role in ContactRole
            ],
        )
        await product_reports.report_framework_progress(
            cast.vendor, customer.id, framework, progress
        )
        cast.customers[name] = await product_reports.report_trial_end(
            cast.vendor, customer.id, cast.now + timedelta(days=_TRIAL_DAYS_LEFT)
        )


async def load_demo_data(settings: Settings | None = None) -> list[DemoLogin]:
    """Load the demo data set into an empty database and return the logins it created.

    Without settings, the parts whose services need them (leads, consent requests, messages
    and act-as switches: links, mail and session tokens) are left out.
    """
    if await users.any_user_exists():
        raise RuntimeError("The database already holds users: demo data goes into an empty one.")
    cast = DemoCast(now=datetime.now(UTC))
    async with in_transaction():
        await _vendor_and_staff(cast)
        partner_orgs = [await _partner_with_people(cast, *row) for row in _PARTNERS]
        await partners.set_managed_partners(
            cast.vendor, cast.user("manager@vendor.example").id, [p.id for p in partner_orgs[:2]]
        )
        await _groups(cast, [partner_orgs[0], partner_orgs[4]])
        await _customers(cast, partner_orgs)
        await load_accounts_demo(cast)
        await load_deal_registration_demo(cast)
    if settings is not None:
        await load_activity_demo(settings, cast)
        await load_switch_attempts(settings, cast)
    return _logins(cast)


def _logins(cast: DemoCast) -> list[DemoLogin]:
    """Every demo user who logs in to the portal (not the sales users), in the order made."""
    partner_names = {partner.id: name for name, partner in cast.partners.items()}
    return [
        DemoLogin(user.email, user.role, partner_names.get(user.partner_id))  # type: ignore[attr-defined]
        for user in cast.users.values()
        if not user.is_sales_rep
    ]
