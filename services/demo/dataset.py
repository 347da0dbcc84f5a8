"""A realistic demo data set: a vendor, partners in groups and tiers, users of every role,
customers in trial, active and closed, so that GraphiQL shows a lived-in portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from models.customers import Customer, CustomerContact
from models.enums import ContactRole, CustomerStatus, GroupKind, PartnerStatus, PartnerTier, Role
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from models.users import ChannelManagerAssignment, SalesRep, User
from services.demo.accounts import load_accounts_demo
from services.demo.activity import load_activity_demo
from services.users.auth import hash_password
from services.vendor.service import get_vendor_settings
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
    # partner index, name, status, framework, progress
    (0, "Acme Logistics", CustomerStatus.ACTIVE, "ISO 27001", 72),
    (0, "Blue Lake Hospital", CustomerStatus.TRIAL, "NIS2", 18),
    (0, "Copperfield Retail", CustomerStatus.CLOSED, "ISO 27001", 5),
    (1, "Edelweiss Bank", CustomerStatus.ACTIVE, "DORA", 55),
    (1, "Gipfel Maschinenbau", CustomerStatus.TRIAL, "ISO 27001", 31),
    (2, "Nordlys Energy", CustomerStatus.TRIAL, "NIS2", 9),
    (3, "Test Customer Ltd", CustomerStatus.TRIAL, "ISO 27001", 0),
]


def _slug(name: str) -> str:
    return "".join(c for c in name.lower().split()[0] if c.isalnum())


async def load_demo_data(settings: Settings | None = None) -> list[DemoLogin]:
    """Load the demo data set into an empty database and return the logins it created."""
    if await User.exists():
        raise RuntimeError("The database already holds users: demo data goes into an empty one.")
    now = datetime.now(UTC)
    password_hash = hash_password(DEMO_PASSWORD)
    logins: list[DemoLogin] = []
    async with in_transaction():
        vendor = await get_vendor_settings()
        vendor.vendor_name = "Northstar Compliance (demo vendor)"
        vendor.support_email = "partners@vendor.example"
        await vendor.save()

        admin = await User.create(
            email="admin@vendor.example",
            full_name="Vera Vendor",
            role=Role.VENDOR_ADMIN,
            password_hash=password_hash,
        )
        logins.append(DemoLogin(admin.email, Role.VENDOR_ADMIN, None))
        manager = await User.create(
            email="manager@vendor.example",
            full_name="Max Manager",
            role=Role.CHANNEL_MANAGER,
            password_hash=password_hash,
        )
        logins.append(DemoLogin(manager.email, Role.CHANNEL_MANAGER, None))

        partners = [
            await PartnerOrg.create(
                name=name,
                status=status,
                tier=tier,
                country=country,
                invoice_company_name=name,
                invoice_email=f"billing@{_slug(name)}.example",
                invoice_address=f"1 Partner Street, {country}",
            )
            for name, status, tier, country in _PARTNERS
        ]
        for partner in partners:
            slug = _slug(partner.name)
            partner_admin = await User.create(
                email=f"admin@{slug}.example",
                full_name=f"{partner.name} Admin",
                role=Role.PARTNER_ADMIN,
                partner=partner,
                password_hash=password_hash,
                is_default_lead_recipient=True,
                supplier_emails_opt_in=True,
            )
            logins.append(DemoLogin(partner_admin.email, Role.PARTNER_ADMIN, partner.name))
            partner_user = await User.create(
                email=f"user@{slug}.example",
                full_name=f"{partner.name} User",
                role=Role.PARTNER_USER,
                partner=partner,
                password_hash=password_hash,
                locale="nl" if partner.country == "NL" else "en",
            )
            logins.append(DemoLogin(partner_user.email, Role.PARTNER_USER, partner.name))
            await User.create(
                email=f"sales@{slug}.example",
                full_name=f"{partner.name} Sales",
                role=Role.PARTNER_USER,
                partner=partner,
                password_hash=password_hash,
                is_sales_rep=True,
            )
            await SalesRep.create(
                partner=partner,
                full_name="Sam External",
                email=f"sam@reps-for-{slug}.example",
                is_default_lead_recipient=True,
            )

        for partner in partners[:2]:
            await ChannelManagerAssignment.create(manager=manager, partner=partner)

        benelux = await PartnerGroup.create(
            name="Benelux", description="Partners in the Benelux", kind=GroupKind.STATIC
        )
        for partner in (partners[0], partners[4]):
            await PartnerGroupMember.create(group=benelux, partner=partner)
        await PartnerGroup.create(
            name="Gold and above",
            description="Tier gold or platinum",
            kind=GroupKind.DYNAMIC,
            rule=[{"field": "tier", "operator": "in", "values": ["gold", "platinum"]}],
        )
        await PartnerGroup.create(
            name="DACH",
            description="Germany, Austria, Switzerland",
            kind=GroupKind.DYNAMIC,
            rule=[{"field": "country", "operator": "in", "values": ["AT", "CH", "DE"]}],
        )

        for index, name, status, framework, progress in _CUSTOMERS:
            customer = await Customer.create(
                partner=partners[index],
                name=name,
                status=status,
                main_framework=framework,
                framework_progress=progress,
                trial_ends_at=(
                    now + timedelta(days=11)
                    if status is CustomerStatus.TRIAL
                    else now - timedelta(days=40)
                ),
                subscription_started_at=(
                    now - timedelta(days=300) if status is CustomerStatus.ACTIVE else None
                ),
                next_renewal_at=(
                    now + timedelta(days=65) if status is CustomerStatus.ACTIVE else None
                ),
            )
            domain = _slug(name)
            await CustomerContact.bulk_create(
                [
                    CustomerContact(
                        customer=customer,
                        role=role,
                        full_name=f"{name} {role.value}",
                        email=f"{role.value.replace('_', '-')}@{domain}.example",
                    )
                    for role in ContactRole
                ]
            )
        await load_accounts_demo(now)
    if settings is not None:
        # Leads and messages go through their services, which need the settings (links, mail).
        await load_activity_demo(settings)
    return logins
