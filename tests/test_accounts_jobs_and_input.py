"""The accounts worker jobs running in the real worker loop, new customers starting a trial of the
configured length, the customer's own users and reported activity, and bad input getting typed
errors that change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from models.accounts import AttentionItem, AttentionKind, CustomerUser
from models.customers import Customer
from models.enums import CustomerStatus
from models.outbox import OutboxEmail
from models.renewals import RenewalReminder
from services.platform.worker import JOBS, run_worker
from services.vendor.service import get_vendor_settings
from tests.accounts_support import fixed_now, make_customer, noon_in
from tests.conftest import gid

ROW = """
query($search: String) { customerOverview(search: $search) {
  nodes { name status daysLeftInTrial userCount activitiesLast90Days } } }
"""


async def _wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_worker_closes_trials_opens_attention_items_and_sends_renewal_notices(
    world, settings
) -> None:
    now = fixed_now()
    ended = await make_customer(world.partner_a, "Ended", now, trial_ends_in=timedelta(minutes=-1))
    ending = await make_customer(world.partner_a, "Ending", now, trial_ends_in=timedelta(days=2))
    renewing = await make_customer(
        world.partner_a,
        "Renewing",
        now,
        status=CustomerStatus.ACTIVE,
        renewal_in=noon_in(now, 7),
    )
    names = {"close-ended-trials", "refresh-attention-items", "renewal-notices"}
    jobs = [job for job in JOBS if job.name in names]
    assert {job.name for job in jobs} == names
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, jobs))
    try:

        async def done() -> bool:
            closed = await Customer.filter(id=ended.id, status=CustomerStatus.CLOSED).exists()
            item = await AttentionItem.filter(
                customer_id=ending.id, kind=AttentionKind.TRIAL_ENDING, resolved_at__isnull=True
            ).exists()
            reminded = await RenewalReminder.filter(customer_id=renewing.id, offset_days=7).exists()
            return closed and item and reminded

        await _wait_for(done)
    finally:
        stop.set()
        await worker
    assert await OutboxEmail.filter(source="renewal_notice").count() == 3


async def test_a_new_customer_starts_a_trial_of_the_configured_length(world, gql) -> None:
    vendor = await get_vendor_settings()
    vendor.trial_length_days = 21
    await vendor.save()
    created = await gql.data(
        """mutation { createCustomer(name: "Fresh Trial", contacts: [
             {role: PRIMARY, email: "ceo@fresh.test"}]) {
             ... on Customer { id trialEndsAt daysLeftInTrial } } }""",
        token=world.token("user_a"),
    )
    assert created["createCustomer"]["daysLeftInTrial"] == 21
    ends = datetime.fromisoformat(created["createCustomer"]["trialEndsAt"])
    assert timedelta(days=20, hours=23) < ends - datetime.now(UTC) <= timedelta(days=21)
    rows = (await gql.data(ROW, {"search": "fresh"}, token=world.token("user_a")))[
        "customerOverview"
    ]["nodes"]
    assert rows == [
        {
            "name": "Fresh Trial",
            "status": "TRIAL",
            "daysLeftInTrial": 21,
            "userCount": 0,
            "activitiesLast90Days": 1,  # the account opening
        }
    ]


async def test_account_users_and_reported_activity(world, gql) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Usage Co", now)
    client = gql.as_user(world.token("user_a"))
    add = """mutation($c: ID!, $e: String!) { addCustomerAccountUser(customerId: $c, email: $e) {
               __typename ... on CustomerAccountUser { id email }
               ... on OperationErrors { errors { field code } } } }"""
    first = (await client.data(add, {"c": gid("Customer", customer.id), "e": " Anna@Usage.test "}))[
        "addCustomerAccountUser"
    ]
    assert first["email"] == "anna@usage.test"
    await client.data(add, {"c": gid("Customer", customer.id), "e": "bob@usage.test"})
    duplicate = (
        await client.data(add, {"c": gid("Customer", customer.id), "e": "anna@usage.test"})
    )["addCustomerAccountUser"]
    assert duplicate["errors"] == [{"field": "email", "code": "DUPLICATE"}]
    invalid = (await client.data(add, {"c": gid("Customer", customer.id), "e": "not an address"}))[
        "addCustomerAccountUser"
    ]
    assert invalid["errors"][0]["code"] == "INVALID"
    assert await CustomerUser.filter(customer_id=customer.id).count() == 2
    removed = await client.data(
        "mutation($id: ID!) { removeCustomerAccountUser(id: $id) { __typename } }",
        {"id": first["id"]},
    )
    assert removed["removeCustomerAccountUser"]["__typename"] == "Done"

    report = """mutation($c: ID!, $at: DateTime) {
      reportCustomerActivity(customerId: $c, summary: "Finished the risk assessment",
                             occurredAt: $at) {
        __typename ... on OperationErrors { errors { field code } } } }"""
    refused = await client.data(report, {"c": gid("Customer", customer.id), "at": None})
    assert refused["reportCustomerActivity"]["errors"][0]["code"] == "FORBIDDEN"
    admin = gql.as_user(world.token("vendor_admin"))
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    too_late = await admin.data(report, {"c": gid("Customer", customer.id), "at": future})
    assert too_late["reportCustomerActivity"]["errors"][0]["field"] == "occurredAt"
    ok = await admin.data(report, {"c": gid("Customer", customer.id), "at": None})
    assert ok["reportCustomerActivity"]["__typename"] == "CustomerActivity"
    row = (await client.data(ROW, {"search": "usage"}))["customerOverview"]["nodes"][0]
    # One user left; the activities are the two users joining and the reported one.
    assert (row["userCount"], row["activitiesLast90Days"]) == (1, 3)


async def test_bad_input_gets_typed_errors(world, gql) -> None:
    client = gql.as_user(world.token("admin_a"))
    for variables in ({"first": 0}, {"first": 101}, {"search": "a\x00b"}, {"after": "garbage"}):
        body = await client.request(
            """query($first: Int, $search: String, $after: String) {
                 customerOverview(first: $first, search: $search, after: $after) { nodes { id } }
               }""",
            variables,
        )
        assert body["errors"][0]["extensions"]["code"] == "INVALID", variables
    body = await client.request("{ upcomingRenewals(days: 0) { nodes { daysLeft } } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    offsets = """mutation($o: [Int!]!) { setRenewalReminderOffsets(offsets: $o) {
                   __typename ... on RenewalReminderOffsets { offsets }
                   ... on OperationErrors { errors { field code } } } }"""
    forbidden = (await client.data(offsets, {"o": [30]}))["setRenewalReminderOffsets"]
    assert forbidden["errors"][0]["code"] == "FORBIDDEN"
    admin = gql.as_user(world.token("vendor_admin"))
    for bad in ([], [0], [400], [30, 30], [1, 2, 3, 4, 5, 6, 7]):
        result = (await admin.data(offsets, {"o": bad}))["setRenewalReminderOffsets"]
        assert result["errors"][0]["field"] == "offsets", bad
    current = await admin.data("{ renewalReminderOffsets { offsets } }")
    assert current["renewalReminderOffsets"]["offsets"] == [60, 30, 7]
    saved = (await admin.data(offsets, {"o": [14, 90, 3]}))["setRenewalReminderOffsets"]
    assert saved["offsets"] == [90, 14, 3]
