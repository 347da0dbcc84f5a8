"""The partner's customer overview: trial clock, status transitions, renewal dates, the 90-day
activity window, attention items appearing and clearing, filters, sort, pagination, counts, and
a statement count that does not grow with the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from models.accounts import (
    ActivityKind,
    AttentionItem,
    AttentionKind,
    CustomerActivity,
    CustomerUser,
)
from models.customers import Customer, CustomerContact
from models.deals import Deal, DealStatus
from models.enums import ContactRole, CustomerStatus
from services.customers.attention import refresh_attention_items
from services.customers.common import record_activity, trial_days_left
from services.customers.overview import OverviewFilter, customer_overview
from services.customers.trials import close_ended_trials
from services.deals import conversion
from services.deals import service as deals
from services.deals.conversion import add_months
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import count_statements

OVERVIEW = """
query Overview($status: CustomerStatus, $needsAttention: Boolean, $search: String,
               $sort: CustomerSort, $first: Int, $after: String, $partnerId: ID) {
  customerOverview(status: $status, needsAttention: $needsAttention, search: $search,
                   sort: $sort, first: $first, after: $after, partnerId: $partnerId) {
    edges { cursor node {
      id name status mainFramework frameworkProgress userCount activitiesLast90Days
      attentionCount needsAttention daysLeftInTrial trialEndsAt subscriptionStartedAt
      nextRenewalAt attentionItems { totalCount nodes { kind message } }
      contacts { role email } partner { name }
    } }
    pageInfo { hasNextPage endCursor }
    counts { all trial active closed needsAttention }
  }
}
"""


async def _open_kinds(customer: Customer) -> set[AttentionKind]:
    return set(
        await AttentionItem.filter(customer_id=customer.id, resolved_at__isnull=True).values_list(
            "kind", flat=True
        )
    )


async def test_trial_days_left_follow_the_clock(world, settings) -> None:
    now = fixed_now()
    customer = await make_customer(
        world.partner_a, "Clocked", now, trial_ends_in=timedelta(days=10)
    )
    assert trial_days_left(customer, now) == 10
    assert trial_days_left(customer, now + timedelta(days=9, hours=12)) == 1
    assert trial_days_left(customer, now + timedelta(days=3, seconds=1)) == 7
    assert trial_days_left(customer, now + timedelta(days=11)) == 0
    viewer = await viewer_for(settings, world.token("user_a"))
    page = await customer_overview(viewer, OverviewFilter(), now=now + timedelta(days=4))
    assert [row.days_left_in_trial for row in page.rows] == [6]


async def test_trials_close_by_themselves_unless_converted(world, settings) -> None:
    now = fixed_now()
    ending = await make_customer(world.partner_a, "Ending", now, trial_ends_in=timedelta(days=10))
    converted = await make_customer(
        world.partner_a, "Converted", now, trial_ends_in=timedelta(days=10)
    )
    viewer = await viewer_for(settings, world.token("user_a"))
    open_deal = await deals.register_deal(viewer, ending.id, "Pro", Decimal("1000"), now=now)
    await conversion.convert_to_paid(viewer, converted.id, now=now + timedelta(days=2))

    assert await close_ended_trials(now + timedelta(days=9, hours=23)) == 0
    assert (await Customer.get(id=ending.id)).status is CustomerStatus.TRIAL

    assert await close_ended_trials(now + timedelta(days=10)) == 1
    assert (await Customer.get(id=ending.id)).status is CustomerStatus.CLOSED
    assert (await Customer.get(id=converted.id)).status is CustomerStatus.ACTIVE
    lost = await Deal.get(id=open_deal.id)
    assert lost.status is DealStatus.LOST
    assert "trial ended" in lost.lost_reason
    assert (
        await CustomerActivity.filter(customer_id=ending.id, kind=ActivityKind.TRIAL_ENDED).count()
        == 1
    )
    # Running again changes nothing and logs nothing twice.
    assert await close_ended_trials(now + timedelta(days=11)) == 0
    assert (
        await CustomerActivity.filter(customer_id=ending.id, kind=ActivityKind.TRIAL_ENDED).count()
        == 1
    )


async def test_conversion_starts_the_subscription_and_sets_the_renewal_date(
    world, settings
) -> None:
    viewer = await viewer_for(settings, world.token("user_a"))
    moment = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    yearly = await make_customer(world.partner_a, "Yearly", moment)
    monthly = await make_customer(world.partner_a, "Monthly", moment)
    result = await conversion.convert_to_paid(viewer, yearly.id, now=moment)
    assert result.customer.status is CustomerStatus.ACTIVE
    assert result.customer.subscription_started_at == moment
    assert result.customer.next_renewal_at == datetime(2028, 1, 31, 9, 30, tzinfo=UTC)
    monthly_result = await conversion.convert_to_paid(viewer, monthly.id, term_months=1, now=moment)
    assert monthly_result.customer.next_renewal_at == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1).day == 29  # leap year

    # Recording the renewal moves the date one term on.
    admin = await viewer_for(settings, world.token("vendor_admin"))
    renewed = await conversion.record_renewal(admin, yearly.id, now=moment + timedelta(days=360))
    assert renewed.next_renewal_at == datetime(2029, 1, 31, 9, 30, tzinfo=UTC)


async def test_activities_count_only_the_last_90_days(world, settings) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Busy", now)
    for moment in (
        now - timedelta(days=1),
        now - timedelta(days=89),
        now - timedelta(days=90) + timedelta(minutes=1),
        now - timedelta(days=90),  # exactly 90 days ago: outside the window
        now - timedelta(days=200),
        now + timedelta(days=1),  # not yet happened at `now`
    ):
        await record_activity(customer.id, ActivityKind.PRODUCT_USAGE, occurred_at=moment)
    viewer = await viewer_for(settings, world.token("user_a"))
    page = await customer_overview(viewer, OverviewFilter(), now=now)
    assert page.rows[0].activity_count == 3
    later = await customer_overview(viewer, OverviewFilter(), now=now + timedelta(days=2))
    # Two days on: the two oldest left the window, the future one happened.
    assert later.rows[0].activity_count == 2
    much_later = await customer_overview(viewer, OverviewFilter(), now=now + timedelta(days=100))
    assert much_later.rows[0].activity_count == 0


async def test_attention_items_appear_and_clear(world, settings) -> None:
    now = fixed_now()
    viewer = await viewer_for(settings, world.token("user_a"))
    trial = await make_customer(world.partner_a, "Trial Co", now, trial_ends_in=timedelta(days=10))
    active = await make_customer(
        world.partner_a,
        "Active Co",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=timedelta(days=5),
        contacts=(ContactRole.PRIMARY, ContactRole.DECISION_MAKER),
    )
    for customer in (trial, active):
        await record_activity(customer.id, ActivityKind.PRODUCT_USAGE, occurred_at=now)

    await refresh_attention_items(now)
    assert await _open_kinds(trial) == set()
    assert await _open_kinds(active) == {AttentionKind.MISSING_RENEWAL_CONTACTS}

    # Four days on the trial ends within a week; the missing billing contact is added.
    await CustomerContact.create(
        customer=active, role=ContactRole.BILLING, email="billing@active.test"
    )
    await refresh_attention_items(now + timedelta(days=4))
    assert await _open_kinds(trial) == {AttentionKind.TRIAL_ENDING}
    assert await _open_kinds(active) == set()
    item = await AttentionItem.get(customer_id=trial.id, kind=AttentionKind.TRIAL_ENDING)
    assert "6 days" in item.message

    page = await customer_overview(
        viewer, OverviewFilter(needs_attention=True), now=now + timedelta(days=4)
    )
    assert [row.customer.name for row in page.rows] == ["Trial Co"]
    assert page.rows[0].attention_count == 1

    # Converting clears the trial item, the renewal date passing opens an overdue one.
    await conversion.convert_to_paid(viewer, trial.id, now=now + timedelta(days=5))
    assert await _open_kinds(trial) == set()
    await refresh_attention_items(now + timedelta(days=6))
    assert await _open_kinds(active) == {AttentionKind.RENEWAL_OVERDUE}

    # Recording the renewal clears it again; a deal left open past its date appears.
    admin = await viewer_for(settings, world.token("vendor_admin"))
    await conversion.record_renewal(admin, active.id, now=now + timedelta(days=6))
    assert await _open_kinds(active) == set()
    deal = await deals.register_deal(
        viewer,
        active.id,
        "Add-on",
        Decimal("300"),
        expected_close_on=(now + timedelta(days=7)).date(),
        now=now + timedelta(days=6),
    )
    await refresh_attention_items(now + timedelta(days=9))
    assert await _open_kinds(active) == {AttentionKind.DEAL_PAST_EXPECTED_CLOSE}
    await deals.mark_deal_lost(viewer, deal.id, "Budget cut", now=now + timedelta(days=9))
    assert await _open_kinds(active) == set()
    resolved = await AttentionItem.filter(customer_id=active.id, resolved_at__isnull=False)
    assert {i.kind for i in resolved} == {
        AttentionKind.MISSING_RENEWAL_CONTACTS,
        AttentionKind.RENEWAL_OVERDUE,
        AttentionKind.DEAL_PAST_EXPECTED_CLOSE,
    }

    # Weeks without activity open an inactivity item, new activity clears it.
    quiet = now + timedelta(days=20)
    await refresh_attention_items(quiet)
    assert AttentionKind.NO_RECENT_ACTIVITY in await _open_kinds(active)
    await record_activity(active.id, ActivityKind.PRODUCT_USAGE, occurred_at=quiet)
    await refresh_attention_items(quiet)
    assert AttentionKind.NO_RECENT_ACTIVITY not in await _open_kinds(active)


async def _seed_overview(world, now: datetime) -> None:
    specs = [
        ("Blue Lake Hospital", CustomerStatus.TRIAL, 3),
        ("Acme Logistics", CustomerStatus.ACTIVE, None),
        ("Copperfield Retail", CustomerStatus.CLOSED, None),
        ("Delta Lakeside", CustomerStatus.TRIAL, 20),
        ("Echo Works", CustomerStatus.ACTIVE, None),
    ]
    for name, status, trial_days in specs:
        customer = await make_customer(
            world.partner_a,
            name,
            now,
            status=status,
            trial_ends_in=timedelta(days=trial_days) if trial_days else timedelta(days=-40),
            renewal_in=timedelta(days=100) if status is CustomerStatus.ACTIVE else None,
        )
        await CustomerUser.create(
            customer=customer, email=f"one@{customer.id}.test", created_at=now
        )
        await record_activity(customer.id, ActivityKind.PRODUCT_USAGE, occurred_at=now)
    await make_customer(world.partner_b, "Beta Lake Secret", now, trial_ends_in=timedelta(days=2))
    await refresh_attention_items(now)


async def test_overview_filters_search_sort_pages_and_counts(world, gql) -> None:
    now = fixed_now()
    await _seed_overview(world, now)
    client = gql.as_user(world.token("user_a"))

    everything = (await client.data(OVERVIEW, {"first": 50}))["customerOverview"]
    names = [e["node"]["name"] for e in everything["edges"]]
    assert names == sorted(names)
    assert len(names) == 5
    assert everything["counts"] == {
        "all": 5,
        "trial": 2,
        "active": 2,
        "closed": 1,
        "needsAttention": 1,
    }
    hospital = next(e["node"] for e in everything["edges"] if e["node"]["name"].startswith("Blue"))
    assert hospital["status"] == "TRIAL"
    assert hospital["daysLeftInTrial"] == 3
    assert hospital["userCount"] == 1
    assert hospital["activitiesLast90Days"] == 1
    assert hospital["attentionCount"] == 1
    assert hospital["needsAttention"] is True
    assert hospital["attentionItems"]["nodes"][0]["kind"] == "TRIAL_ENDING"
    assert hospital["attentionItems"]["totalCount"] == 1
    assert hospital["frameworkProgress"] == 40
    assert hospital["mainFramework"] == "ISO 27001"
    assert {c["role"] for c in hospital["contacts"]} == {
        "PRIMARY",
        "BILLING",
        "DECISION_MAKER",
    }
    acme = next(e["node"] for e in everything["edges"] if e["node"]["name"].startswith("Acme"))
    assert acme["daysLeftInTrial"] is None
    assert acme["subscriptionStartedAt"] is not None
    assert acme["nextRenewalAt"] is not None

    trials = (await client.data(OVERVIEW, {"status": "TRIAL"}))["customerOverview"]
    assert [e["node"]["name"] for e in trials["edges"]] == ["Blue Lake Hospital", "Delta Lakeside"]
    assert trials["counts"]["all"] == 5  # the tabs keep counting every status

    needing = (await client.data(OVERVIEW, {"needsAttention": True}))["customerOverview"]
    assert [e["node"]["name"] for e in needing["edges"]] == ["Blue Lake Hospital"]
    calm = (await client.data(OVERVIEW, {"needsAttention": False}))["customerOverview"]
    assert len(calm["edges"]) == 4

    lake = (await client.data(OVERVIEW, {"search": "LAKE"}))["customerOverview"]
    assert [e["node"]["name"] for e in lake["edges"]] == ["Blue Lake Hospital", "Delta Lakeside"]
    assert lake["counts"] == {
        "all": 2,
        "trial": 2,
        "active": 0,
        "closed": 0,
        "needsAttention": 1,
    }

    # Walk the pages in each sort order: every customer once, in order.
    for sort, expected in (
        ("NAME_ASC", sorted(names)),
        ("NAME_DESC", sorted(names, reverse=True)),
        ("NEWEST_FIRST", list(reversed(await _names_by_id(world)))),
        ("OLDEST_FIRST", await _names_by_id(world)),
    ):
        seen: list[str] = []
        after = None
        while True:
            page = (await client.data(OVERVIEW, {"sort": sort, "first": 2, "after": after}))[
                "customerOverview"
            ]
            seen += [e["node"]["name"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == expected, sort

    # A cursor of another sort order is refused with a typed error.
    first_page = (await client.data(OVERVIEW, {"sort": "NAME_ASC", "first": 2}))["customerOverview"]
    body = await client.request(
        OVERVIEW, {"sort": "NEWEST_FIRST", "after": first_page["pageInfo"]["endCursor"]}
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def _names_by_id(world) -> list[str]:
    return list(
        await Customer.filter(partner_id=world.partner_a.id)
        .order_by("id")
        .values_list("name", flat=True)
    )


async def test_overview_statement_count_does_not_grow_with_the_page(world, gql) -> None:
    now = fixed_now()
    customers = await Customer.bulk_create(
        [
            Customer(
                partner_id=world.partner_a.id,
                name=f"Customer {i:03d}",
                status=CustomerStatus.TRIAL,
                trial_ends_at=now + timedelta(days=3 + i % 20),
            )
            for i in range(60)
        ]
    )
    customers = list(await Customer.filter(partner_id=world.partner_a.id).order_by("id"))
    await CustomerContact.bulk_create(
        [
            CustomerContact(customer_id=c.id, role=ContactRole.PRIMARY, email=f"p@{c.id}.test")
            for c in customers
        ]
    )
    await CustomerUser.bulk_create(
        [
            CustomerUser(customer_id=c.id, email=f"u{n}@{c.id}.test", created_at=now)
            for c in customers
            for n in range(2)
        ]
    )
    await CustomerActivity.bulk_create(
        [
            CustomerActivity(
                customer_id=c.id,
                kind=ActivityKind.PRODUCT_USAGE,
                occurred_at=now - timedelta(days=1),
            )
            for c in customers
        ]
    )
    await refresh_attention_items(now)
    client = gql.as_user(world.token("user_a"))

    with count_statements() as small:
        small_page = await client.data(OVERVIEW, {"first": 5})
    with count_statements() as large:
        large_page = await client.data(OVERVIEW, {"first": 50})
    assert len(small_page["customerOverview"]["edges"]) == 5
    assert len(large_page["customerOverview"]["edges"]) == 50
    assert all(e["node"]["userCount"] == 2 for e in large_page["customerOverview"]["edges"])
    assert len(small) == len(large), (len(small), len(large))
    print("overview statements per page:", len(small), len(large))
    assert len(large) <= 16, large

    # The renewal owner in force, its contact and the subscription: batched too.
    with count_statements() as small_renewal:
        await client.data(RENEWAL_COLUMNS, {"first": 5})
    with count_statements() as large_renewal:
        renewal_page = await client.data(RENEWAL_COLUMNS, {"first": 50})
    rows = renewal_page["customerOverview"]["nodes"]
    assert {(r["renewalOwner"], r["renewalOwnerSource"]) for r in rows} == {
        ("VENDOR", "PARTNER_DEFAULT")
    }
    assert len(small_renewal) == len(large_renewal), (len(small_renewal), len(large_renewal))
    print("with renewal columns:", len(small_renewal), len(large_renewal))


RENEWAL_COLUMNS = """query($first: Int) { customerOverview(first: $first) { nodes {
  id renewalOwner renewalOwnerSource renewalContact { email } subscription { id plan } } } }"""
