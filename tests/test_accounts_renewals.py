"""Renewal ownership and renewal notices, delivered by the real outbox sender to a real SMTP
server: each owner setting and override reaches exactly the right people, once per offset,
whatever marketing opt-outs say, also when several workers run the job at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from models.customers import CustomerContact
from models.enums import ContactRole, CustomerStatus
from models.outbox import OutboxEmail, SuppressionReason
from models.renewals import RenewalOwner, RenewalOwnerChoice, RenewalReminder
from services.email import deliver_due_emails, suppress_address
from services.renewals.notices import send_renewal_notices, set_reminder_offsets
from services.renewals.service import set_customer_renewal_owner, set_partner_renewal_default
from settings import Settings
from tests.accounts_support import SmtpServer, fixed_now, make_customer, noon_in, viewer_for
from tests.conftest import gid, make_settings

UPCOMING = """
query Upcoming($days: Int, $first: Int, $after: String) {
  upcomingRenewals(days: $days, first: $first, after: $after) {
    nodes {
      customer { name } daysLeft owner ownerSource partnerContact { email }
      recipients { email kinds isCopy }
      nextNoticeOffsetDays noticesSentOffsetDays
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_settings(database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return make_settings(database_url, tmp_path / "smtp", SMTP_URL=smtp_server.url)


def _contacts(slug: str) -> set[str]:
    return {f"primary@{slug}.test", f"billing@{slug}.test", f"decision-maker@{slug}.test"}


async def _portfolio(world, settings, now):
    """Partner A: vendor-owned by default with user_a as contact. Partner B: partner-owned by
    default with user_b as contact. Each has customers following the default and overriding it."""
    admin_a = await viewer_for(settings, world.token("admin_a"))
    admin_b = await viewer_for(settings, world.token("admin_b"))
    await set_partner_renewal_default(
        admin_a, world.partner_a.id, RenewalOwner.VENDOR, world.user_a.id
    )
    await set_partner_renewal_default(
        admin_b, world.partner_b.id, RenewalOwner.PARTNER, world.user_b.id
    )
    names = {
        "a_default": (world.partner_a, "Alpha Default"),
        "a_partner": (world.partner_a, "Alpha Partner Owned"),
        "a_vendor": (world.partner_a, "Alpha Vendor Owned"),
        "b_default": (world.partner_b, "Beta Default"),
        "b_follow": (world.partner_b, "Beta Follows Default"),
        "b_vendor": (world.partner_b, "Beta Vendor Owned"),
    }
    customers = {
        key: await make_customer(
            partner,
            name,
            now,
            status=CustomerStatus.ACTIVE,
            renewal_in=noon_in(now, 60),
        )
        for key, (partner, name) in names.items()
    }
    await set_customer_renewal_owner(
        admin_a, customers["a_partner"].id, RenewalOwnerChoice.PARTNER, world.admin_a.id
    )
    await set_customer_renewal_owner(
        admin_a, customers["a_vendor"].id, RenewalOwnerChoice.VENDOR, None
    )
    await set_customer_renewal_owner(
        admin_b, customers["b_follow"].id, RenewalOwnerChoice.DEFAULT, None
    )
    await set_customer_renewal_owner(
        admin_b, customers["b_vendor"].id, RenewalOwnerChoice.VENDOR, None
    )
    return customers


def _expected_addresses(world) -> Counter[str]:
    expected: Counter[str] = Counter()
    for slug in ("alphadefault", "alphavendorowned", "betavendorowned"):
        expected.update(_contacts(slug))
    expected.update(
        {
            world.user_a.email: 2,  # copies for Alpha Default and Alpha Vendor Owned
            world.admin_a.email: 1,  # Alpha Partner Owned, partner-owned by override
            world.user_b.email: 3,  # Beta Default and Beta Follows Default, copy of Beta Vendor
        }
    )
    return expected


async def test_each_owner_setting_reaches_exactly_the_right_people_once_per_offset(
    world, settings, smtp_settings, smtp_server
) -> None:
    now = fixed_now()
    await _portfolio(world, settings, now)
    # Marketing opt-outs and the suppression list do not stop transactional renewal notices.
    assert world.user_a.supplier_emails_opt_in is False
    await suppress_address("billing@alphadefault.test", SuppressionReason.UNSUBSCRIBE)
    await suppress_address(world.user_b.email, SuppressionReason.HARD_BOUNCE)

    first = await send_renewal_notices(smtp_settings, now)
    assert (first.reminders, first.emails) == (6, 15)
    report = await deliver_due_emails(smtp_settings)
    assert report.sent == 15
    assert report.suppressed == 0
    assert Counter(smtp_server.addresses()) == _expected_addresses(world)

    # Each recipient got one email with its own envelope, and the right wording.
    by_address = {mail.recipients[0]: mail for mail in smtp_server.received}
    assert all(len(mail.recipients) == 1 for mail in smtp_server.received)
    assert by_address["primary@alphadefault.test"].subject.startswith("Your ")
    assert "Alpha Default" in by_address["primary@alphadefault.test"].text
    assert by_address[world.admin_a.email].subject.startswith("Renewal of Alpha Partner Owned")
    copies = [m for m in smtp_server.received if m.recipients[0] == world.user_a.email]
    assert {m.subject.split(" (")[0] for m in copies} == {
        "Copy: renewal notice to Alpha Default",
        "Copy: renewal notice to Alpha Vendor Owned",
    }

    # The job running again, later the same day, the next day, or in three workers at once
    # sends nothing more for the 60-day offset.
    again = await send_renewal_notices(smtp_settings, now + timedelta(hours=1))
    next_day = await send_renewal_notices(smtp_settings, now + timedelta(days=1))
    assert again.reminders == next_day.reminders == 0
    await asyncio.gather(
        *(send_renewal_notices(smtp_settings, now + timedelta(days=2)) for _ in range(3))
    )
    await deliver_due_emails(smtp_settings)
    assert len(smtp_server.received) == 15

    # 30 days before the renewal date the next reminder goes to the same people, once.
    results = await asyncio.gather(
        *(send_renewal_notices(smtp_settings, now + timedelta(days=30)) for _ in range(3))
    )
    assert sum(r.reminders for r in results) == 6
    await deliver_due_emails(smtp_settings)
    twice = Counter({address: 2 * n for address, n in _expected_addresses(world).items()})
    assert Counter(smtp_server.addresses()) == twice
    assert await RenewalReminder.filter(offset_days=30).count() == 6
    assert await RenewalReminder.filter(offset_days=60).count() == 6
    assert await OutboxEmail.filter(source="renewal_notice").count() == 30


async def test_changing_the_owner_changes_who_is_told(
    world, settings, smtp_settings, smtp_server
) -> None:
    now = fixed_now()
    customer = await make_customer(
        world.partner_a,
        "Switching Owner",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=noon_in(now, 7),
    )
    admin_a = await viewer_for(settings, world.token("admin_a"))
    # No partner default set: vendor-owned, and no partner contact to copy.
    await send_renewal_notices(smtp_settings, now)
    await deliver_due_emails(smtp_settings)
    assert set(smtp_server.addresses()) == _contacts("switchingowner")

    # The partner takes the customer over before the renewal moves to the next term.
    await set_customer_renewal_owner(
        admin_a, customer.id, RenewalOwnerChoice.PARTNER, world.user_a.id
    )
    await RenewalReminder.all().delete()  # a new renewal date would have fresh reminders
    await send_renewal_notices(smtp_settings, now)
    await deliver_due_emails(smtp_settings)
    assert smtp_server.addresses().count(world.user_a.email) == 1
    assert len(smtp_server.received) == 4

    # A partner-owned customer whose contact left falls back to the partner's admins.
    world.user_a.is_active = False
    await world.user_a.save()
    await RenewalReminder.all().delete()
    await send_renewal_notices(smtp_settings, now)
    await deliver_due_emails(smtp_settings)
    assert smtp_server.received[-1].recipients == (world.admin_a.email,)


async def test_configured_offsets_and_catching_up(world, settings, smtp_settings, smtp_server):
    now = fixed_now()
    admin = await viewer_for(settings, world.token("vendor_admin"))
    assert await set_reminder_offsets(admin, [10, 45]) == [45, 10]
    customer = await make_customer(
        world.partner_a,
        "Late Start",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=noon_in(now, 20),
    )
    # 20 days left: the 45-day reminder was missed, it is sent once now (not the 10-day one).
    run = await send_renewal_notices(smtp_settings, now)
    assert run.reminders == 1
    assert await RenewalReminder.filter(customer_id=customer.id).values_list(
        "offset_days", flat=True
    ) == [45]
    assert (await send_renewal_notices(smtp_settings, now + timedelta(days=5))).reminders == 0
    assert (await send_renewal_notices(smtp_settings, now + timedelta(days=10))).reminders == 1
    # On and after the renewal date no reminder goes out.
    assert (await send_renewal_notices(smtp_settings, now + timedelta(days=21))).reminders == 0
    await deliver_due_emails(smtp_settings)
    assert len(smtp_server.received) == 6


async def test_upcoming_renewals_show_the_owner_and_who_will_be_told(world, settings, gql):
    now = fixed_now()
    await _portfolio(world, settings, now)
    await make_customer(
        world.partner_a,
        "Alpha Far Away",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=timedelta(days=200),
    )
    rows = (await gql.data(UPCOMING, {"days": 90}, token=world.token("user_a")))[
        "upcomingRenewals"
    ]["nodes"]
    by_name = {row["customer"]["name"]: row for row in rows}
    assert set(by_name) == {"Alpha Default", "Alpha Partner Owned", "Alpha Vendor Owned"}
    default = by_name["Alpha Default"]
    assert (default["owner"], default["ownerSource"]) == ("VENDOR", "PARTNER_DEFAULT")
    assert default["partnerContact"]["email"] == world.user_a.email
    assert {(r["email"], r["isCopy"]) for r in default["recipients"]} == {
        *((address, False) for address in _contacts("alphadefault")),
        (world.user_a.email, True),
    }
    assert default["nextNoticeOffsetDays"] == 60
    assert default["noticesSentOffsetDays"] == []
    partner_owned = by_name["Alpha Partner Owned"]
    assert (partner_owned["owner"], partner_owned["ownerSource"]) == (
        "PARTNER",
        "CUSTOMER_OVERRIDE",
    )
    assert partner_owned["recipients"] == [
        {"email": world.admin_a.email, "kinds": ["PARTNER_CONTACT"], "isCopy": False}
    ]
    vendor_override = by_name["Alpha Vendor Owned"]
    assert (vendor_override["owner"], vendor_override["ownerSource"]) == (
        "VENDOR",
        "CUSTOMER_OVERRIDE",
    )

    beta = (await gql.data(UPCOMING, {"days": 90}, token=world.token("user_b")))[
        "upcomingRenewals"
    ]["nodes"]
    assert {row["customer"]["name"] for row in beta} == {
        "Beta Default",
        "Beta Follows Default",
        "Beta Vendor Owned",
    }
    assert all(
        row["recipients"]
        == [{"email": world.user_b.email, "kinds": ["PARTNER_CONTACT"], "isCopy": False}]
        for row in beta
        if row["customer"]["name"] != "Beta Vendor Owned"
    )
    longer = (await gql.data(UPCOMING, {"days": 366}, token=world.token("user_a")))[
        "upcomingRenewals"
    ]["nodes"]
    assert [row["customer"]["name"] for row in longer][-1] == "Alpha Far Away"

    # Page by page, soonest first: the same rows in the same order.
    walked: list[str] = []
    after = None
    while True:
        page = (
            await gql.data(
                UPCOMING, {"days": 366, "first": 2, "after": after}, token=world.token("user_a")
            )
        )["upcomingRenewals"]
        walked += [row["customer"]["name"] for row in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == [row["customer"]["name"] for row in longer]
    assert len(walked) == 4


SET_DEFAULT = """
mutation Set($owner: RenewalOwner!, $contact: ID, $partner: ID) {
  setPartnerRenewalDefault(owner: $owner, contactUserId: $contact, partnerId: $partner) {
    __typename
    ... on PartnerRenewalDefault { owner contact { email } }
    ... on OperationErrors { errors { field code message } }
  }
}
"""
SET_OVERRIDE = """
mutation Set($customer: ID!, $owner: RenewalOwnerChoice!, $contact: ID) {
  setCustomerRenewalOwner(customerId: $customer, owner: $owner, contactUserId: $contact) {
    __typename
    ... on CustomerRenewalOwner { owner contact { email } }
    ... on OperationErrors { errors { field code message } }
  }
}
"""


async def test_who_may_set_renewal_ownership(world, gql) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Owned", now, status=CustomerStatus.ACTIVE)
    # A partner user may not, the partner admin may, for a user of their own org only.
    refused = (
        await gql.data(
            SET_DEFAULT,
            {"owner": "PARTNER", "contact": gid("User", world.user_a.id)},
            token=world.token("user_a"),
        )
    )["setPartnerRenewalDefault"]
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    foreign_contact = (
        await gql.data(
            SET_DEFAULT,
            {"owner": "PARTNER", "contact": gid("User", world.user_b.id)},
            token=world.token("admin_a"),
        )
    )["setPartnerRenewalDefault"]
    assert foreign_contact["errors"][0]["field"] == "contactUserId"
    no_contact = (await gql.data(SET_DEFAULT, {"owner": "PARTNER"}, token=world.token("admin_a")))[
        "setPartnerRenewalDefault"
    ]
    assert no_contact["errors"][0]["code"] == "INVALID"
    done = (
        await gql.data(
            SET_DEFAULT,
            {"owner": "PARTNER", "contact": gid("User", world.user_a.id)},
            token=world.token("admin_a"),
        )
    )["setPartnerRenewalDefault"]
    assert done == {
        "__typename": "PartnerRenewalDefault",
        "owner": "PARTNER",
        "contact": {"email": world.user_a.email},
    }
    # Partner B's admin can neither set A's default nor override A's customer.
    other = (
        await gql.data(
            SET_DEFAULT,
            {"owner": "VENDOR", "partner": gid("Partner", world.partner_a.id)},
            token=world.token("admin_b"),
        )
    )["setPartnerRenewalDefault"]
    assert other["errors"][0]["code"] == "NOT_FOUND"
    override = (
        await gql.data(
            SET_OVERRIDE,
            {"customer": gid("Customer", customer.id), "owner": "VENDOR"},
            token=world.token("admin_b"),
        )
    )["setCustomerRenewalOwner"]
    assert override["errors"][0]["code"] == "NOT_FOUND"
    # The vendor admin and partner A's channel manager may.
    for name in ("vendor_admin", "manager"):
        result = (
            await gql.data(
                SET_OVERRIDE,
                {"customer": gid("Customer", customer.id), "owner": "VENDOR"},
                token=world.token(name),
            )
        )["setCustomerRenewalOwner"]
        assert result["owner"] == "VENDOR", name


async def test_a_reminder_with_nobody_to_tell_waits_for_a_contact(
    world, settings, smtp_settings, smtp_server
) -> None:
    now = fixed_now()
    customer = await make_customer(
        world.partner_a,
        "No Contacts Yet",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=noon_in(now, 30),
        contacts=(),
    )
    nobody = await send_renewal_notices(smtp_settings, now)
    assert (nobody.reminders, nobody.skipped) == (0, 1)
    assert not await RenewalReminder.filter(customer_id=customer.id).exists()
    await CustomerContact.create(
        customer=customer, role=ContactRole.BILLING, email="billing@nocontacts.test"
    )
    later = await send_renewal_notices(smtp_settings, now + timedelta(hours=3))
    assert later.reminders == 1
    await deliver_due_emails(smtp_settings)
    assert smtp_server.addresses() == ["billing@nocontacts.test"]
