"""Deals with notes, the conversion of a trial that wins the deal and creates the commission at
the partner's rate (tier or own rate), and the approval and payment of commissions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models.customers import Customer
from models.deals import Commission, CommissionStatus, Deal, DealNote, DealStatus
from models.enums import CustomerStatus
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import count_statements, gid, pk_of

REGISTER = """
mutation Register($customer: ID!, $product: String!, $amount: Decimal!, $currency: String!,
                  $close: Date, $note: String!) {
  registerDeal(customerId: $customer, product: $product, amount: $amount, currency: $currency,
               expectedCloseOn: $close, note: $note) {
    __typename
    ... on Deal { id product amount currency expectedCloseOn status customer { name }
                  notes { nodes { body authorEmail } } }
    ... on OperationErrors { errors { field code message } }
  }
}
"""
CONVERT = """
mutation Convert($customer: ID!, $deal: ID, $plan: String!, $term: Int!) {
  convertTrialToPaid(customerId: $customer, dealId: $deal, plan: $plan, termMonths: $term) {
    __typename
    ... on Conversion {
      customer { status subscriptionStartedAt nextRenewalAt }
      subscription { plan termMonths }
      deal { id status }
      commission { id baseAmount ratePercent amount currency status }
    }
    ... on OperationErrors { errors { field code message } }
  }
}
"""
COMMISSIONS = """
query { commissions { nodes { id amount status deal { product } partner { name }
  customer { name } } } }
"""
MOVE = """
mutation Move($id: ID!) {
  approveCommission(id: $id) {
    __typename ... on Commission { status } ... on OperationErrors { errors { code } }
  }
}
"""
PAY = """
mutation Pay($id: ID!) {
  markCommissionPaid(id: $id) {
    __typename ... on Commission { status } ... on OperationErrors { errors { code } }
  }
}
"""
DEALS = """
query { deals(first: 50) { nodes { id product status customer { name }
  notes(first: 2) { totalCount nodes { body authorEmail } }
  partner { name } commission { amount deal { id } partner { name } customer { name } } } } }
"""


def _deal_vars(customer: Customer, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "customer": gid("Customer", customer.id),
        "product": "Compliance Pro",
        "amount": "12000.00",
        "currency": "eur",
        "close": None,
        "note": "",
    }
    values.update(overrides)
    return values


async def test_register_a_deal_with_notes_and_change_it(world, gql) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Deal Customer", now)
    client = gql.as_user(world.token("user_a"))
    close = (now + timedelta(days=30)).date().isoformat()
    deal = (
        await client.data(
            REGISTER, _deal_vars(customer, close=close, note="Decision expected in March.")
        )
    )["registerDeal"]
    assert deal["__typename"] == "Deal"
    assert (deal["amount"], deal["currency"], deal["status"]) == ("12000.00", "EUR", "OPEN")
    assert deal["expectedCloseOn"] == close
    assert deal["notes"]["nodes"] == [
        {"body": "Decision expected in March.", "authorEmail": "user@alpha.test"}
    ]

    note = await client.data(
        """mutation($id: ID!) { addDealNote(dealId: $id, body: "Pricing approved by CFO") {
             ... on DealNote { body authorEmail } } }""",
        {"id": deal["id"]},
    )
    assert note["addDealNote"] == {
        "body": "Pricing approved by CFO",
        "authorEmail": "user@alpha.test",
    }
    vendor_reply = await gql.data(
        """mutation($id: ID!) { addDealNote(dealId: $id, body: "Thanks, noted.") {
             ... on DealNote { authorEmail } } }""",
        {"id": deal["id"]},
        token=world.token("vendor_admin"),
    )
    assert vendor_reply["addDealNote"]["authorEmail"] == "admin@vendor.test"
    updated = await client.data(
        """mutation($id: ID!) { updateDeal(id: $id, input: {amount: "15000"}) {
             ... on Deal { amount notes { totalCount nodes { body } } } } }""",
        {"id": deal["id"]},
    )
    assert updated["updateDeal"]["amount"] == "15000.00"
    assert updated["updateDeal"]["notes"]["totalCount"] == 3

    # The notes are a connection: pages forward and backward, oldest first.
    notes_page = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      node(id: $id) { ... on Deal { notes(first: $first, after: $after, last: $last,
        before: $before) { totalCount nodes { body }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""
    first = (await client.data(notes_page, {"id": deal["id"], "first": 2}))["node"]["notes"]
    assert [n["body"] for n in first["nodes"]] == [
        "Decision expected in March.",
        "Pricing approved by CFO",
    ]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
    rest = await client.data(
        notes_page, {"id": deal["id"], "first": 2, "after": first["pageInfo"]["endCursor"]}
    )
    assert [n["body"] for n in rest["node"]["notes"]["nodes"]] == ["Thanks, noted."]
    assert rest["node"]["notes"]["pageInfo"]["hasNextPage"] is False
    last = (await client.data(notes_page, {"id": deal["id"], "last": 1}))["node"]["notes"]
    assert [n["body"] for n in last["nodes"]] == ["Thanks, noted."]
    earlier = await client.data(
        notes_page, {"id": deal["id"], "last": 5, "before": last["pageInfo"]["startCursor"]}
    )
    assert [n["body"] for n in earlier["node"]["notes"]["nodes"]] == [
        "Decision expected in March.",
        "Pricing approved by CFO",
    ]
    too_many = await client.request(notes_page, {"id": deal["id"], "first": 101})
    assert too_many["errors"], too_many

    # Bad input is a typed error per field and writes nothing.
    bad = (
        await client.data(REGISTER, _deal_vars(customer, product=" ", amount="-5", currency="EURO"))
    )["registerDeal"]
    assert {e["field"] for e in bad["errors"]} == {"product", "amount", "currency"}
    assert await Deal.all().count() == 1
    assert await DealNote.all().count() == 3

    lost = await client.data(
        """mutation($id: ID!) { markDealLost(id: $id, reason: "Went with a competitor") {
             ... on Deal { status lostReason } } }""",
        {"id": deal["id"]},
    )
    assert lost["markDealLost"] == {"status": "LOST", "lostReason": "Went with a competitor"}
    again = await client.data(
        """mutation($id: ID!) { updateDeal(id: $id, input: {amount: "1"}) {
             ... on OperationErrors { errors { code } } } }""",
        {"id": deal["id"]},
    )
    assert again["updateDeal"]["errors"][0]["code"] == "INVALID"


async def test_conversion_wins_the_deal_and_creates_the_commission_at_the_partner_rate(
    world, gql
) -> None:
    now = fixed_now()
    client = gql.as_user(world.token("user_a"))
    admin = gql.as_user(world.token("vendor_admin"))
    rates_seen = []
    # Partner A is silver: the default silver rate, then a vendor-set tier rate, then its own.
    steps = [
        (None, None, "15.00"),
        ("SILVER", "12.5", "12.50"),
        ("own", "30", "30.00"),
        ("drop-own", None, "12.50"),
    ]
    for index, (change, value, expected_rate) in enumerate(steps):
        if change == "own":
            result = await admin.data(
                """mutation($p: ID!, $r: Decimal) {
                   setPartnerCommissionRate(partnerId: $p, ratePercent: $r) {
                     ... on PartnerCommissionRate { ratePercent isPartnerRate } } }""",
                {"p": gid("Partner", world.partner_a.id), "r": value},
            )
            assert result["setPartnerCommissionRate"] == {
                "ratePercent": "30.00",
                "isPartnerRate": True,
            }
        elif change == "drop-own":
            result = await admin.data(
                """mutation($p: ID!) { setPartnerCommissionRate(partnerId: $p, ratePercent: null) {
                   ... on PartnerCommissionRate { ratePercent isPartnerRate } } }""",
                {"p": gid("Partner", world.partner_a.id)},
            )
            assert result["setPartnerCommissionRate"]["isPartnerRate"] is False
        elif change is not None:
            await admin.data(
                """mutation($t: PartnerTier!, $r: Decimal!) { setTierCommissionRate(tier: $t,
                   ratePercent: $r) { ... on TierCommissionRate { ratePercent } } }""",
                {"t": change, "r": value},
            )
        customer = await make_customer(world.partner_a, f"Converting {index}", now)
        deal = (await client.data(REGISTER, _deal_vars(customer, amount="1000.00")))["registerDeal"]
        conversion = (
            await client.data(
                CONVERT,
                {"customer": gid("Customer", customer.id), "deal": None, "plan": "", "term": 12},
            )
        )["convertTrialToPaid"]
        assert conversion["__typename"] == "Conversion", conversion
        assert conversion["customer"]["status"] == "ACTIVE"
        assert conversion["subscription"] == {"plan": "Compliance Pro", "termMonths": 12}
        assert conversion["deal"] == {"id": deal["id"], "status": "WON"}
        commission = conversion["commission"]
        assert commission["ratePercent"] == expected_rate
        assert commission["baseAmount"] == "1000.00"
        assert Decimal(commission["amount"]) == Decimal(expected_rate) * 10
        assert commission["status"] == "PENDING"
        rates_seen.append(commission["ratePercent"])
    assert rates_seen == ["15.00", "12.50", "30.00", "12.50"]

    # Partner B (gold) earns at the gold rate, unaffected by A's rates.
    beta_customer = await make_customer(world.partner_b, "Beta Converting", now)
    await gql.data(REGISTER, _deal_vars(beta_customer, amount="1000"), token=world.token("user_b"))
    beta = (
        await gql.data(
            CONVERT,
            {
                "customer": gid("Customer", beta_customer.id),
                "deal": None,
                "plan": "Gold plan",
                "term": 24,
            },
            token=world.token("user_b"),
        )
    )["convertTrialToPaid"]
    assert beta["commission"]["ratePercent"] == "20.00"
    assert beta["subscription"] == {"plan": "Gold plan", "termMonths": 24}

    # Converting twice is refused and creates nothing.
    twice = (
        await client.data(
            CONVERT,
            {"customer": gid("Customer", customer.id), "deal": None, "plan": "", "term": 12},
        )
    )["convertTrialToPaid"]
    assert twice["errors"][0]["code"] == "INVALID"
    assert await Commission.all().count() == 5


async def test_several_open_deals_need_the_won_one_named(world, gql) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Two Deals", now)
    client = gql.as_user(world.token("user_a"))
    first = (await client.data(REGISTER, _deal_vars(customer, product="Starter")))["registerDeal"]
    second = (await client.data(REGISTER, _deal_vars(customer, product="Pro")))["registerDeal"]
    unnamed = (
        await client.data(
            CONVERT,
            {"customer": gid("Customer", customer.id), "deal": None, "plan": "", "term": 12},
        )
    )["convertTrialToPaid"]
    assert unnamed["errors"][0]["field"] == "dealId"
    assert (await Customer.get(id=customer.id)).status is CustomerStatus.TRIAL
    named = (
        await client.data(
            CONVERT,
            {
                "customer": gid("Customer", customer.id),
                "deal": second["id"],
                "plan": "",
                "term": 12,
            },
        )
    )["convertTrialToPaid"]
    assert named["deal"]["status"] == "WON"
    assert (await Deal.get(id=pk_of(first["id"]))).status is DealStatus.OPEN


async def test_vendor_admins_approve_and_pay_commissions(world, gql) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Paying", now)
    client = gql.as_user(world.token("user_a"))
    await client.data(REGISTER, _deal_vars(customer))
    conversion = (
        await client.data(
            CONVERT,
            {"customer": gid("Customer", customer.id), "deal": None, "plan": "", "term": 12},
        )
    )["convertTrialToPaid"]
    commission_id = conversion["commission"]["id"]

    mine = (await client.data(COMMISSIONS))["commissions"]["nodes"]
    assert mine == [
        {
            "id": commission_id,
            "amount": "1800.00",
            "status": "PENDING",
            "deal": {"product": "Compliance Pro"},
            "partner": {"name": world.partner_a.name},
            "customer": {"name": "Paying"},
        }
    ]
    for name in ("user_a", "admin_a", "manager"):
        refused = await gql.data(MOVE, {"id": commission_id}, token=world.token(name))
        assert refused["approveCommission"]["errors"][0]["code"] == "FORBIDDEN", name
    early = await gql.data(PAY, {"id": commission_id}, token=world.token("vendor_admin"))
    assert early["markCommissionPaid"]["errors"][0]["code"] == "INVALID"
    approved = await gql.data(MOVE, {"id": commission_id}, token=world.token("vendor_admin"))
    assert approved["approveCommission"] == {"__typename": "Commission", "status": "APPROVED"}
    paid = await gql.data(PAY, {"id": commission_id}, token=world.token("vendor_admin"))
    assert paid["markCommissionPaid"]["status"] == "PAID"
    row = await Commission.get(id=pk_of(commission_id))
    assert row.status is CommissionStatus.PAID
    assert row.approved_at is not None
    assert row.paid_by_id == world.vendor_admin.id  # type: ignore[attr-defined]


async def test_deal_list_statement_count_does_not_grow(world, gql) -> None:
    now = fixed_now()
    client = gql.as_user(world.token("user_a"))
    for index in range(30):
        customer = await make_customer(world.partner_a, f"Many {index}", now, contacts=())
        await client.data(REGISTER, _deal_vars(customer, note=f"note {index}"))
        if index % 3 == 0:
            await client.data(
                CONVERT,
                {"customer": gid("Customer", customer.id), "deal": None, "plan": "", "term": 12},
            )
    few = DEALS.replace("first: 50", "first: 3")
    with count_statements() as small:
        small_page = await client.data(few)
    with count_statements() as large:
        large_page = await client.data(DEALS)
    assert len(small_page["deals"]["nodes"]) == 3
    assert len(large_page["deals"]["nodes"]) == 30
    assert all(node["notes"]["totalCount"] == 1 for node in large_page["deals"]["nodes"])
    assert len(small) == len(large), (len(small), len(large))
