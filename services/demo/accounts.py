"""Demo data of the accounts domain, loaded after the core demo customers exist: the customers'
users and activity, deals with notes in every status, conversions to paid with commissions
pending, approved and paid, a trial that ended, renewal ownership with an override, upcoming and
overdue renewals, the attention items they cause, and a granted and a refused switch into a
customer account, so that the customer overview and the renewals list look lived in.

Each step goes through the service a real portal uses, dated back with the services' `now`
where the history lies in the past: the partner registers its deals, the vendor records the
conversions and pays the commissions, the vendor's product reports users, usage and trial ends.
The services' own records come with them, as in a real portal: each account's "account opened",
"user added", "subscription started" and "trial ended" activity, and Oakridge's subscription.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from models.deals import CommissionStatus
from models.enums import ContactRole, PartnerTier
from models.renewals import RenewalOwner, RenewalOwnerChoice
from services.customers import product_reports
from services.customers.account import add_customer_user, report_product_activity
from services.customers.attention import refresh_attention_items
from services.customers.service import NewContact, create_customer
from services.customers.switching import switch_account
from services.customers.trials import close_ended_trials
from services.deals import commissions
from services.deals import conversion as deal_conversion
from services.deals import service as deals
from services.deals.commissions import DEFAULT_TIER_RATES
from services.deals.conversion import add_months
from services.demo.cast import DemoCast
from services.platform.errors import ServiceError
from services.renewals.service import set_customer_renewal_owner, set_partner_renewal_default
from settings import Settings

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


@dataclass(frozen=True)
class _WonDeal:
    customer: str
    author: str
    product: str
    amount: str
    commission: CommissionStatus
    renews_in_days: int  # the one-year subscription the deal started renews in so many days


# Won deals, in the order registered: the conversion that won each is dated one year before
# the customer's renewal.
_WON_DEALS = [
    _WonDeal(
        "Acme Logistics",
        "user@northwind.example",
        "Northstar Professional",
        "14400.00",
        CommissionStatus.PAID,
        65,
    ),
    _WonDeal(
        "Edelweiss Bank",
        "admin@alpine.example",
        "Northstar Enterprise",
        "36000.00",
        CommissionStatus.APPROVED,
        25,
    ),
    _WonDeal(
        "Dune Analytics",
        "admin@northwind.example",
        "Northstar Professional",
        "9600.00",
        CommissionStatus.PENDING,
        8,
    ),
]
_TERM_MONTHS = 12


async def _paying_northwind_customers(cast: DemoCast) -> None:
    """Two more Northwind customers, to become paying: one renewing soon (with every renewal
    contact), one whose renewal is overdue (with its primary contact only)."""
    every_role, primary_only = list(ContactRole), [ContactRole.PRIMARY]
    for name, roles in (("Dune Analytics", every_role), ("Oakridge Clinics", primary_only)):
        slug = name.split()[0].lower()
        customer = await create_customer(
            cast.as_user("admin@northwind.example"),
            None,
            name,
            [
                NewContact(
                    role=role,
                    email=f"{role.value.replace('_', '-')}@{slug}.example",
                    full_name=f"{name} {role.value.replace('_', ' ')}",
                )
                for role in roles
            ],
        )
        cast.customers[name] = await product_reports.report_framework_progress(
            cast.vendor, customer.id, "NIS2", 47
        )


async def _won_deal(cast: DemoCast, won: _WonDeal) -> None:
    """The partner registers the deal and writes to the vendor team; the customer converts to
    paid, which wins the deal; the vendor approves (and pays) the commission."""
    when = add_months(cast.now + timedelta(days=won.renews_in_days), -_TERM_MONTHS)
    author = cast.as_user(won.author)
    customer = cast.customers[won.customer]
    deal = await deals.register_deal(
        author,
        customer.id,
        won.product,
        Decimal(won.amount),
        expected_close_on=when.date(),
        now=when - timedelta(days=20),
    )
    await deals.add_deal_note(
        author,
        deal.id,
        "The customer orders in the app; please confirm the agreement by email.",
        now=when - timedelta(days=19),
    )
    conversion = await deal_conversion.convert_to_paid(
        cast.vendor, customer.id, deal.id, term_months=_TERM_MONTHS, now=when
    )
    commission = conversion.commission
    assert commission is not None  # a won deal earns one
    if won.commission is not CommissionStatus.PENDING:
        await commissions.approve_commission(
            cast.vendor, commission.id, now=when + timedelta(days=3)
        )
    if won.commission is CommissionStatus.PAID:
        await commissions.mark_commission_paid(
            cast.vendor, commission.id, now=when + timedelta(days=30)
        )


async def _deals(cast: DemoCast) -> None:
    """Deals in every status, with notes to the vendor team."""
    now = cast.now
    for won in _WON_DEALS:
        await _won_deal(cast, won)
    northwind_user = cast.as_user("user@northwind.example")
    open_deal = await deals.register_deal(
        northwind_user,
        cast.customers["Blue Lake Hospital"].id,
        "Northstar Professional (NIS2 bundle)",
        Decimal("18000.00"),
        expected_close_on=(now + timedelta(days=10)).date(),
        note="Board meeting on the 12th decides. They want a multi-site discount.",
        now=now - timedelta(days=6),
    )
    await deals.add_deal_note(
        cast.vendor,
        open_deal.id,
        "A 10% multi-site discount is approved for this deal.",
        now=now - timedelta(days=4),
    )
    await deals.register_deal(
        cast.as_user("admin@alpine.example"),
        cast.customers["Gipfel Maschinenbau"].id,
        "Northstar Starter",
        Decimal("4800.00"),
        expected_close_on=(now - timedelta(days=5)).date(),
        now=now - timedelta(days=40),
    )
    # Copperfield's trial ended forty days ago without a subscription: the account closed and
    # its open deal was lost.
    copperfield = cast.customers["Copperfield Retail"]
    await deals.register_deal(
        northwind_user,
        copperfield.id,
        "Northstar Starter",
        Decimal("3600.00"),
        expected_close_on=(now - timedelta(days=45)).date(),
        now=now - timedelta(days=70),
    )
    await product_reports.report_trial_end(cast.vendor, copperfield.id, now - timedelta(days=40))
    await close_ended_trials(now - timedelta(days=40))


async def _subscriptions(cast: DemoCast) -> None:
    """Oakridge's subscription, taken without a deal, renewed three days ago or should have;
    the paying customers' trials ended long ago, and Nordlys' trial is about to end."""
    now = cast.now
    await deal_conversion.convert_to_paid(
        cast.vendor,
        cast.customers["Oakridge Clinics"].id,
        term_months=_TERM_MONTHS,
        now=add_months(now - timedelta(days=3), -_TERM_MONTHS),
    )
    for name, days in (
        ("Acme Logistics", -40),
        ("Edelweiss Bank", -40),
        ("Dune Analytics", -330),
        ("Oakridge Clinics", -330),
        ("Nordlys Energy", 4),
    ):
        await product_reports.report_trial_end(
            cast.vendor, cast.customers[name].id, now + timedelta(days=days)
        )


async def _usage(cast: DemoCast) -> None:
    """The customers' own users and what they did, as the vendor's product reports them."""
    generator = random.Random(7)  # the same demo every time
    now = cast.now
    for name, (user_count, activity_count) in _USAGE_LEVELS.items():
        customer = cast.customers[name]
        domain = name.split()[0].lower()
        for index in range(user_count):
            await add_customer_user(
                cast.vendor,
                customer.id,
                f"user{index + 1}@{domain}.example",
                f"{name} user {index + 1}",
                now=now - timedelta(days=100 - index),
            )
        for _ in range(activity_count):
            summary = generator.choice(_USAGE)
            minutes_ago = generator.randint(30, 120 * 24 * 60)
            await report_product_activity(
                cast.vendor, customer.id, summary, now - timedelta(minutes=minutes_ago)
            )


async def _commission_rates(cast: DemoCast) -> None:
    """The tier defaults made explicit, and Fjord's own negotiated rate."""
    for tier in PartnerTier:
        await commissions.set_tier_rate(cast.vendor, tier, DEFAULT_TIER_RATES[tier])
    await commissions.set_partner_rate(
        cast.vendor, cast.partners["Fjord IT Partners"].id, Decimal("18.00")
    )


async def _renewal_ownership(cast: DemoCast) -> None:
    """Northwind lets the vendor send notices with a copy to its user, but owns Dune Analytics
    itself. Alpine owns all its renewals."""
    northwind_admin = cast.as_user("admin@northwind.example")
    alpine_admin = cast.as_user("admin@alpine.example")
    await set_partner_renewal_default(
        northwind_admin,
        cast.partners["Northwind Security"].id,
        RenewalOwner.VENDOR,
        cast.user("user@northwind.example").id,
    )
    await set_customer_renewal_owner(
        northwind_admin,
        cast.customers["Dune Analytics"].id,
        RenewalOwnerChoice.PARTNER,
        northwind_admin.user_id,
    )
    await set_partner_renewal_default(
        alpine_admin,
        cast.partners["Alpine Compliance GmbH"].id,
        RenewalOwner.PARTNER,
        alpine_admin.user_id,
    )


async def load_accounts_demo(cast: DemoCast) -> None:
    """Add the accounts demo data; the core demo partners, users and customers must exist."""
    await _paying_northwind_customers(cast)
    await _commission_rates(cast)
    await _deals(cast)
    await _subscriptions(cast)
    await _usage(cast)
    await _renewal_ownership(cast)
    await refresh_attention_items()


async def load_switch_attempts(settings: Settings, cast: DemoCast) -> None:
    """The Northwind user opened a customer account a few hours ago, and tried another
    partner's, which was refused: both are in the switch-account log. The act-as session the
    first opened has long expired in the story (and for real a few minutes after loading)."""
    northwind_user = cast.as_user("user@northwind.example")
    await switch_account(
        settings,
        northwind_user,
        cast.customers["Blue Lake Hospital"].id,
        "192.0.2.10",
        now=cast.now - timedelta(hours=5),
    )
    try:
        await switch_account(
            settings,
            northwind_user,
            cast.customers["Edelweiss Bank"].id,
            "192.0.2.10",
            now=cast.now - timedelta(hours=4),
        )
    except ServiceError:
        pass  # refused, and logged as refused
    else:
        raise RuntimeError("The demo expected the switch into another partner's customer refused.")
