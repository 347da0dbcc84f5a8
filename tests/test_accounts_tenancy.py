"""Tenancy of the accounts domain: another partner's customers, deals, commissions and
renewals are invisible and unchangeable, and switching into a customer account is scoped,
short-lived and audited, refused and logged for a foreign customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from models.accounts import AttentionItem, CustomerUser, SwitchAccountAudit, SwitchOutcome
from models.customers import Customer
from models.deals import Commission, CommissionStatus, Deal, DealNote, DealStatus
from models.enums import CustomerStatus
from models.users import User
from services.customers.attention import refresh_attention_items
from services.deals import service as deals
from services.deals.conversion import convert_to_paid
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import gid

SWITCH = """
mutation($id: ID!) { switchAccount(customerId: $id) {
  __typename
  ... on SwitchAccountGrant { token expiresAt customer { id name } }
  ... on OperationErrors { errors { field code message } }
} }
"""


async def _alpha_business(world, settings):
    """Partner A: a trial customer with an open deal, a paying one with a commission."""
    now = fixed_now()
    trial = await make_customer(
        world.partner_a, "Alpha Trial", now, trial_ends_in=timedelta(days=3)
    )
    paying = await make_customer(
        world.partner_a,
        "Alpha Paying",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=timedelta(days=20),
    )
    user_a = await viewer_for(settings, world.token("user_a"))
    open_deal = await deals.register_deal(user_a, trial.id, "Pro", Decimal("5000"), note="Hi")
    won_trial = await make_customer(world.partner_a, "Alpha Won", now)
    await deals.register_deal(user_a, won_trial.id, "Pro", Decimal("1000"))
    conversion = await convert_to_paid(user_a, won_trial.id)
    await refresh_attention_items()
    return trial, paying, open_deal, conversion.commission


async def test_another_partner_sees_none_of_it(world, settings, gql) -> None:
    trial, paying, open_deal, _commission = await _alpha_business(world, settings)
    beta = gql.as_user(world.token("user_b"))
    overview = await beta.data(
        "{ customerOverview { nodes { name } counts { all needsAttention } } }"
    )
    assert overview["customerOverview"] == {
        "nodes": [],
        "counts": {"all": 0, "needsAttention": 0},
    }
    explicit = await beta.request(
        "query($p: ID!) { customerOverview(partnerId: $p) { nodes { name } } }",
        {"p": gid("Partner", world.partner_a.id)},
    )
    assert explicit["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await beta.data("{ deals { nodes { id } } }"))["deals"]["nodes"] == []
    assert (await beta.data("{ commissions { nodes { id } } }"))["commissions"]["nodes"] == []
    assert (await beta.data("{ upcomingRenewals(days: 90) { nodes { customer { id } } } }"))[
        "upcomingRenewals"
    ]["nodes"] == []
    for query, variables in (
        ("query($id: ID!) { deal(id: $id) { id } }", {"id": gid("Deal", open_deal.id)}),
        (
            "query($id: ID!) { customerActivities(customerId: $id) { nodes { id } } }",
            {"id": gid("Customer", trial.id)},
        ),
        (
            "query($id: ID!) { customerAttentionItems(customerId: $id) { nodes { id } } }",
            {"id": gid("Customer", trial.id)},
        ),
        (
            "query($id: ID!) { customerAccountUsers(customerId: $id) { nodes { id } } }",
            {"id": gid("Customer", trial.id)},
        ),
        (
            "query($id: ID!) { customerRenewalOwner(customerId: $id) { owner } }",
            {"id": gid("Customer", paying.id)},
        ),
        (
            "query($id: ID!) { partnerCommissionRate(partnerId: $id) { ratePercent } }",
            {"id": gid("Partner", world.partner_a.id)},
        ),
    ):
        body = await beta.request(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", query
    # The channel manager of partner A sees A's business, the vendor admin everything.
    for name in ("manager", "vendor_admin"):
        names = {
            n["name"]
            for n in (
                await gql.data("{ customerOverview { nodes { name } } }", token=world.token(name))
            )["customerOverview"]["nodes"]
        }
        assert names == {"Alpha Trial", "Alpha Paying", "Alpha Won"}, name


async def test_another_partner_cannot_change_any_of_it(world, settings, gql) -> None:
    trial, paying, open_deal, commission = await _alpha_business(world, settings)
    beta = gql.as_user(world.token("admin_b"))
    attempts = [
        (
            'mutation($id: ID!) { updateDeal(id: $id, input: {amount: "1"}) '
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Deal", open_deal.id)},
            "updateDeal",
        ),
        (
            'mutation($id: ID!) { markDealLost(id: $id, reason: "x") '
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Deal", open_deal.id)},
            "markDealLost",
        ),
        (
            'mutation($id: ID!) { addDealNote(dealId: $id, body: "x") '
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Deal", open_deal.id)},
            "addDealNote",
        ),
        (
            'mutation($id: ID!) { registerDeal(customerId: $id, product: "x", amount: "5") '
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Customer", trial.id)},
            "registerDeal",
        ),
        (
            "mutation($id: ID!) { convertTrialToPaid(customerId: $id) "
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Customer", trial.id)},
            "convertTrialToPaid",
        ),
        (
            'mutation($id: ID!) { addCustomerAccountUser(customerId: $id, email: "x@y.test") '
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Customer", trial.id)},
            "addCustomerAccountUser",
        ),
        (
            "mutation($id: ID!) { setCustomerRenewalOwner(customerId: $id, owner: VENDOR) "
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Customer", paying.id)},
            "setCustomerRenewalOwner",
        ),
        (
            "mutation($id: ID!) { approveCommission(id: $id) "
            "{ ... on OperationErrors { errors { code } } } }",
            {"id": gid("Commission", commission.id)},
            "approveCommission",
        ),
    ]
    for mutation, variables, name in attempts:
        result = (await beta.data(mutation, variables))[name]
        assert result["errors"][0]["code"] in ("NOT_FOUND", "FORBIDDEN"), name
    deal = await Deal.get(id=open_deal.id)
    assert (deal.status, deal.amount) == (DealStatus.OPEN, Decimal("5000.00"))
    assert await DealNote.filter(deal_id=open_deal.id).count() == 1
    assert await Deal.filter(customer_id=trial.id).count() == 1
    assert (await Customer.get(id=trial.id)).status is CustomerStatus.TRIAL
    assert await CustomerUser.filter(customer_id=trial.id).count() == 0
    assert (await Commission.get(id=commission.id)).status is CommissionStatus.PENDING
    assert await AttentionItem.filter(customer_id=trial.id, resolved_at__isnull=True).count() == 1


async def test_switch_account_is_scoped_short_lived_and_audited(world, settings, gql) -> None:
    now = fixed_now()
    mine = await make_customer(world.partner_a, "Mine", now)
    other_mine = await make_customer(world.partner_a, "Also Mine", now)
    foreign = await make_customer(world.partner_b, "Foreign", now)

    granted = (
        await gql.data(SWITCH, {"id": gid("Customer", mine.id)}, token=world.token("user_a"))
    )["switchAccount"]
    assert granted["__typename"] == "SwitchAccountGrant"
    assert granted["customer"]["name"] == "Mine"
    expires = datetime.fromisoformat(granted["expiresAt"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    acting = gql.as_user(granted["token"])
    assert (await acting.data("{ actingCustomer { name } }"))["actingCustomer"] == {"name": "Mine"}
    # The act-as token sees that one customer only, and cannot switch on from there.
    names = (await acting.data("{ customerOverview { nodes { name } } }"))["customerOverview"]
    assert names["nodes"] == [{"name": "Mine"}]
    body = await acting.request(
        "query($id: ID!) { customerActivities(customerId: $id) { nodes { id } } }",
        {"id": gid("Customer", other_mine.id)},
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    chained = (await acting.data(SWITCH, {"id": gid("Customer", other_mine.id)}))["switchAccount"]
    assert chained["errors"][0]["code"] == "FORBIDDEN"
    ordinary = await gql.data("{ actingCustomer { name } }", token=world.token("user_a"))
    assert ordinary["actingCustomer"] is None

    # Into another partner's customer, or one that does not exist: refused, and logged.
    for target in (foreign.id, 999999):
        refused = (
            await gql.data(SWITCH, {"id": gid("Customer", target)}, token=world.token("user_a"))
        )["switchAccount"]
        assert refused["errors"][0]["code"] == "NOT_FOUND"
    rows = await SwitchAccountAudit.all().order_by("id")
    assert [(r.customer_id, r.outcome, r.user_email) for r in rows] == [
        (mine.id, SwitchOutcome.GRANTED, "user@alpha.test"),
        (other_mine.id, SwitchOutcome.REFUSED, "user@alpha.test"),
        (foreign.id, SwitchOutcome.REFUSED, "user@alpha.test"),
        (999999, SwitchOutcome.REFUSED, "user@alpha.test"),
    ]
    assert rows[0].session_id
    assert rows[2].reason == rows[3].reason == "No customer of yours has this id."
    assert all(r.client_address == "10.0.0.1" for r in rows)

    # Partner B switches into its own customer; the logs stay per organisation.
    await gql.data(SWITCH, {"id": gid("Customer", foreign.id)}, token=world.token("admin_b"))
    log = """{ switchAccountLog(first: 50) { nodes { userEmail customer { id } outcome
      actor { email } } } }"""
    alpha_log = (await gql.data(log, token=world.token("admin_a")))["switchAccountLog"]["nodes"]
    assert {entry["userEmail"] for entry in alpha_log} == {"user@alpha.test"}
    assert {entry["actor"]["email"] for entry in alpha_log} == {"user@alpha.test"}
    assert len(alpha_log) == 4
    # Another partner's customer (and a missing one) is not shown: the link is null.
    assert [entry["customer"] for entry in alpha_log] == [
        {"id": gid("Customer", mine.id)},
        {"id": gid("Customer", other_mine.id)},
        None,
        None,
    ]
    beta_log = (await gql.data(log, token=world.token("admin_b")))["switchAccountLog"]["nodes"]
    assert beta_log == [
        {
            "userEmail": "admin@beta.test",
            "customer": {"id": gid("Customer", foreign.id)},
            "outcome": "GRANTED",
            "actor": {"email": "admin@beta.test"},
        }
    ]
    everything = (await gql.data(log, token=world.token("vendor_admin")))["switchAccountLog"]
    assert len(everything["nodes"]) == 5
    body = await gql.request(log, token=world.token("user_a"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_nothing_without_a_login(world, gql) -> None:
    for query in (
        "{ customerOverview { nodes { name } } }",
        "{ deals { nodes { id } } }",
        "{ commissions { nodes { id } } }",
        "{ upcomingRenewals { nodes { daysLeft } } }",
    ):
        body = await gql.request(query)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", query
    body = await gql.request('mutation { switchAccount(customerId: "1") { __typename } }')
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_act_as_token_reaches_nothing_outside_its_customer(gql, world):
    now = fixed_now()
    mine = await make_customer(world.partner_a, "Mine", now)
    other_mine = await make_customer(world.partner_a, "Other Mine", now)
    granted = (
        await gql.data(SWITCH, {"id": gid("Customer", mine.id)}, token=world.token("admin_a"))
    )["switchAccount"]
    acting = gql.as_user(granted["token"])
    # Inside the customer's domain it works, for that customer only.
    listed = await acting.data("{ customers { nodes { name contacts { email } } } }")
    assert [c["name"] for c in listed["customers"]["nodes"]] == ["Mine"]
    hidden = await acting.request(
        "query($id: ID!) { customer(id: $id) { name } }", {"id": gid("Customer", other_mine.id)}
    )
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await acting.data("{ me { email } }"))["me"] == {"email": "admin@alpha.test"}
    # Everything else of the partner org is out of reach for the act-as token, even for an admin.
    for query in (
        "{ partners { nodes { name } } }",
        "{ users { nodes { email } } }",
        "{ leads { nodes { id } } }",
        "{ customers { nodes { partner { name } } } }",
    ):
        body = await acting.request(query)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (query, body)
    refused = await acting.request(
        'mutation { createUser(input: {email: "x@alpha.test"}) { __typename } }'
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await User.filter(email="x@alpha.test").exists()
