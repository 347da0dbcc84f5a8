"""Demo data of the accounts domain, loaded after the core demo customers exist: the customers'
users and activity, deals with notes in every status, commissions pending, approved and paid,
renewal ownership with an override, upcoming and overdue renewals, and the attention items they
cause, so that the customer overview and the renewals list look lived in."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from models.accounts import (
    ActivityKind,
    CustomerActivity,
    CustomerUser,
    Subscription,
    SwitchAccountAudit,
    SwitchOutcome,
)
from models.customers import Customer, CustomerContact
from models.deals import (
    Commission,
    CommissionStatus,
    Deal,
    DealNote,
    DealStatus,
    PartnerCommissionRate,
    TierCommissionRate,
)
from models.enums import ContactRole, CustomerStatus, PartnerTier
from models.partners import PartnerOrg
from models.renewals import (
    CustomerRenewalOwner,
    PartnerRenewalSettings,
    RenewalOwner,
    RenewalOwnerChoice,
)
from models.users import User
from services.customers.attention import refresh_attention_items
from services.customers.switching import NOT_YOUR_CUSTOMER
from services.deals.commissions import DEFAULT_TIER_RATES

_USAGE = [
    "Completed a risk assessment",
    "Assigned three policy tasks",
    "Uploaded evidence for control A.5.1",
    "Ran the gap analysis",
    "Invited a colleague",
    "Reviewed the statement of applicability",
]

# name -> (users, activities in the last 120 days)
_USAGE_LEVELS = {
    "Acme Logistics": (8, 60),
    "Blue Lake Hospital": (3, 14),
    "Copperfield Retail": (1, 2),
    "Edelweiss Bank": (12, 90),
    "Gipfel Maschinenbau": (2, 5),
    "Nordlys Energy": (1, 0),
    "Test Customer Ltd": (1, 1),
    "Dune Analytics": (5, 25),
    "Oakridge Clinics": (4, 10),
}


async def _customer(name: str) -> Customer:
    return await Customer.get(name=name)


async def _user(email: str) -> User:
    return await User.get(email=email)


async def _won_deal(
    customer: Customer,
    author: User,
    product: str,
    amount: str,
    rate: Decimal,
    status: CommissionStatus,
    admin: User,
    when: datetime,
) -> None:
    deal = await Deal.create(
        partner_id=customer.partner_id,  # type: ignore[attr-defined]
        customer=customer,
        created_by=author,
        product=product,
        amount=Decimal(amount),
        currency="EUR",
        expected_close_on=when.date(),
        status=DealStatus.WON,
        closed_at=when,
        created_at=when - timedelta(days=20),
        updated_at=when,
    )
    await DealNote.create(
        deal=deal,
        author=author,
        body="The customer orders in the app; please confirm the agreement by email.",
        created_at=when - timedelta(days=19),
    )
    await Subscription.create(
        customer=customer, deal=deal, plan=product, term_months=12, converted_at=when
    )
    base = Decimal(amount)
    await Commission.create(
        partner_id=customer.partner_id,  # type: ignore[attr-defined]
        deal=deal,
        customer=customer,
        base_amount=base,
        rate_percent=rate,
        amount=(base * rate / 100).quantize(Decimal("0.01")),
        currency="EUR",
        status=status,
        created_at=when,
        approved_at=when + timedelta(days=3) if status is not CommissionStatus.PENDING else None,
        approved_by=admin if status is not CommissionStatus.PENDING else None,
        paid_at=when + timedelta(days=30) if status is CommissionStatus.PAID else None,
        paid_by=admin if status is CommissionStatus.PAID else None,
    )


async def load_accounts_demo(now: datetime) -> None:
    """Add the accounts demo data; the core demo partners, users and customers must exist."""
    generator = random.Random(7)  # the same demo every time
    admin = await _user("admin@vendor.example")
    northwind = await PartnerOrg.get(name="Northwind Security")
    alpine = await PartnerOrg.get(name="Alpine Compliance GmbH")
    fjord = await PartnerOrg.get(name="Fjord IT Partners")
    northwind_user = await _user("user@northwind.example")
    northwind_admin = await _user("admin@northwind.example")
    alpine_admin = await _user("admin@alpine.example")

    # Two more paying Northwind customers: one renewing soon, one whose renewal is overdue.
    for name, renewal in (("Dune Analytics", 8), ("Oakridge Clinics", -3)):
        extra = await Customer.create(
            partner=northwind,
            name=name,
            status=CustomerStatus.ACTIVE,
            main_framework="NIS2",
            framework_progress=47,
            trial_ends_at=now - timedelta(days=330),
            subscription_started_at=now - timedelta(days=360 - renewal),
            next_renewal_at=now + timedelta(days=renewal),
        )
        slug = name.split()[0].lower()
        roles = list(ContactRole) if renewal > 0 else [ContactRole.PRIMARY]
        for role in roles:
            await CustomerContact.create(
                customer=extra,
                role=role,
                full_name=f"{name} {role.value.replace('_', ' ')}",
                email=f"{role.value.replace('_', '-')}@{slug}.example",
            )
    # A trial about to end, and a paying customer renewing within the month.
    await Customer.filter(name="Nordlys Energy").update(trial_ends_at=now + timedelta(days=4))
    await Customer.filter(name="Edelweiss Bank").update(next_renewal_at=now + timedelta(days=25))

    for name, (user_count, activity_count) in _USAGE_LEVELS.items():
        customer = await _customer(name)
        domain = name.split()[0].lower()
        await CustomerUser.bulk_create(
            [
                CustomerUser(
                    customer=customer,
                    email=f"user{index + 1}@{domain}.example",
                    full_name=f"{name} user {index + 1}",
                    created_at=now - timedelta(days=100 - index),
                )
                for index in range(user_count)
            ]
        )
        await CustomerActivity.bulk_create(
            [
                CustomerActivity(
                    customer=customer,
                    kind=ActivityKind.PRODUCT_USAGE,
                    summary=generator.choice(_USAGE),
                    occurred_at=now - timedelta(minutes=generator.randint(30, 120 * 24 * 60)),
                )
                for _ in range(activity_count)
            ]
        )

    # Commission rates: the tier defaults made explicit, and Fjord's own negotiated rate.
    for tier in PartnerTier:
        await TierCommissionRate.create(tier=tier, rate_percent=DEFAULT_TIER_RATES[tier])
    await PartnerCommissionRate.create(partner=fjord, rate_percent=Decimal("18.00"))

    # Deals in every status, with notes to the vendor team.
    await _won_deal(
        await _customer("Acme Logistics"),
        northwind_user,
        "Northstar Professional",
        "14400.00",
        DEFAULT_TIER_RATES[PartnerTier.PLATINUM],
        CommissionStatus.PAID,
        admin,
        now - timedelta(days=300),
    )
    await _won_deal(
        await _customer("Edelweiss Bank"),
        alpine_admin,
        "Northstar Enterprise",
        "36000.00",
        DEFAULT_TIER_RATES[PartnerTier.GOLD],
        CommissionStatus.APPROVED,
        admin,
        now - timedelta(days=340),
    )
    await _won_deal(
        await _customer("Dune Analytics"),
        northwind_admin,
        "Northstar Professional",
        "9600.00",
        DEFAULT_TIER_RATES[PartnerTier.PLATINUM],
        CommissionStatus.PENDING,
        admin,
        now - timedelta(days=357),
    )
    blue_lake = await _customer("Blue Lake Hospital")
    open_deal = await Deal.create(
        partner=northwind,
        customer=blue_lake,
        created_by=northwind_user,
        product="Northstar Professional (NIS2 bundle)",
        amount=Decimal("18000.00"),
        expected_close_on=(now + timedelta(days=10)).date(),
        created_at=now - timedelta(days=6),
        updated_at=now - timedelta(days=6),
    )
    await DealNote.create(
        deal=open_deal,
        author=northwind_user,
        body="Board meeting on the 12th decides. They want a multi-site discount.",
        created_at=now - timedelta(days=6),
    )
    await DealNote.create(
        deal=open_deal,
        author=admin,
        body="A 10% multi-site discount is approved for this deal.",
        created_at=now - timedelta(days=4),
    )
    await Deal.create(
        partner=alpine,
        customer=await _customer("Gipfel Maschinenbau"),
        created_by=alpine_admin,
        product="Northstar Starter",
        amount=Decimal("4800.00"),
        expected_close_on=(now - timedelta(days=5)).date(),
        created_at=now - timedelta(days=40),
        updated_at=now - timedelta(days=40),
    )
    await Deal.create(
        partner=northwind,
        customer=await _customer("Copperfield Retail"),
        created_by=northwind_user,
        product="Northstar Starter",
        amount=Decimal("3600.00"),
        expected_close_on=(now - timedelta(days=45)).date(),
        status=DealStatus.LOST,
        lost_reason="The trial ended without a subscription.",
        closed_at=now - timedelta(days=40),
        created_at=now - timedelta(days=70),
        updated_at=now - timedelta(days=40),
    )

    # Renewal ownership: Northwind lets the vendor send notices with a copy to its user, but
    # owns Dune Analytics itself. Alpine owns all its renewals.
    await PartnerRenewalSettings.create(
        partner=northwind, default_owner=RenewalOwner.VENDOR, contact=northwind_user
    )
    await CustomerRenewalOwner.create(
        customer=await _customer("Dune Analytics"),
        owner=RenewalOwnerChoice.PARTNER,
        contact=northwind_admin,
    )
    await PartnerRenewalSettings.create(
        partner=alpine, default_owner=RenewalOwner.PARTNER, contact=alpine_admin
    )

    # Switch-account audit: the Northwind user opened a customer account, and a refused try.
    await SwitchAccountAudit.create(
        user=northwind_user,
        user_email=northwind_user.email,
        partner_id=northwind.id,
        customer_id=blue_lake.id,
        outcome=SwitchOutcome.GRANTED,
        client_address="192.0.2.10",
        created_at=now - timedelta(hours=5),
    )
    refused_target = await _customer("Edelweiss Bank")
    await SwitchAccountAudit.create(
        user=northwind_user,
        user_email=northwind_user.email,
        partner_id=northwind.id,
        customer_id=refused_target.id,
        outcome=SwitchOutcome.REFUSED,
        reason=NOT_YOUR_CUSTOMER,
        client_address="192.0.2.10",
        created_at=now - timedelta(hours=4),
    )
    await refresh_attention_items(now)
