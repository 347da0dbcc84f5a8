"""A deadline or end date holds the moment it passes, whether or not its worker job has run:
an accept-by deadline of a distributed lead, the end date of a published pop-up, the end of a
customer's trial.

Every test here moves the deadline into the past in the database (as time passing would) and
runs no worker job: reads and actions through the API must treat the thing as expired anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.accounts import ActivityKind, CustomerActivity
from models.customers import Customer
from models.deals import Deal
from models.lead_management import DistributionState, LeadDistribution
from models.leads import DistributionStatus, Lead, LeadEvent
from models.messaging import Message, MessageStatus
from tests.conftest import GraphQLClient, World, gid, pk_of

DISTRIBUTE = """mutation($ids: [ID!]!, $p: ID!, $by: DateTime) {
  distributeLeads(leadIds: $ids, partnerId: $p, acceptBy: $by) {
    __typename ... on OperationErrors { errors { field code message } } } }"""
ACCEPT = """mutation($id: ID!) { acceptLead(id: $id) {
  __typename ... on Lead { distributionStatus }
  ... on OperationErrors { errors { field code message } } } }"""
REJECT = """mutation($id: ID!) { rejectLead(id: $id, reason: "Too far away") {
  __typename ... on Lead { distributionStatus }
  ... on OperationErrors { errors { field code message } } } }"""


async def _distributed_lead(gql: GraphQLClient, world: World, email: str) -> str:
    created = await gql.data(
        """mutation($email: String!) { createVendorLead(input: {email: $email}) {
            ... on Lead { id } } }""",
        {"email": email},
        token=world.token("vendor_admin"),
    )
    lead_id = created["createVendorLead"]["id"]
    accept_by = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    distributed = await gql.data(
        DISTRIBUTE,
        {"ids": [lead_id], "p": gid("Partner", world.partner_a.id), "by": accept_by},
        token=world.token("vendor_admin"),
    )
    assert distributed["distributeLeads"]["__typename"] == "DistributedLeads"
    return lead_id


async def _deadline_passes(lead_id: str) -> None:
    await LeadDistribution.filter(lead_id=pk_of(lead_id)).update(
        accept_by=datetime.now(UTC) - timedelta(seconds=1)
    )


async def _assert_returned_once(lead_id: str) -> None:
    lead = await Lead.get(id=pk_of(lead_id))
    assert lead.distribution_status is DistributionStatus.RETURNED
    assert lead.partner_id is None  # type: ignore[attr-defined]
    distribution = await LeadDistribution.get(lead_id=lead.id)
    assert distribution.state is DistributionState.RETURNED
    assert distribution.answered_by_id is None  # type: ignore[attr-defined]
    [event] = await LeadEvent.filter(lead_id=lead.id, kind="returned")
    assert event.details["reason"] == "deadline"
    assert not await LeadEvent.filter(lead_id=lead.id, kind__in=["accepted", "rejected"]).exists()


async def test_answering_a_lead_after_its_deadline_is_refused_without_the_job(
    world: World, gql: GraphQLClient
):
    for mutation in (ACCEPT, REJECT):
        lead_id = await _distributed_lead(gql, world, f"late{len(mutation)}@prospect.example")
        await _deadline_passes(lead_id)
        body = await gql.data(mutation, {"id": lead_id}, token=world.token("user_a"))
        result = next(iter(body.values()))
        assert result["__typename"] == "OperationErrors"
        [error] = result["errors"]
        assert (error["field"], error["code"]) == ("id", "EXPIRED")
        assert "deadline" in error["message"]
        # The lead went back to the vendor exactly as the job would have done it.
        await _assert_returned_once(lead_id)
        again = await gql.data(mutation, {"id": lead_id}, token=world.token("user_a"))
        assert next(iter(again.values()))["__typename"] == "OperationErrors"
        await _assert_returned_once(lead_id)


async def test_reads_and_the_vendor_see_an_overdue_lead_as_returned_without_the_job(
    world: World, gql: GraphQLClient
):
    lead_id = await _distributed_lead(gql, world, "overdue@prospect.example")
    await _deadline_passes(lead_id)
    pending = """{ leads(distributionStatus: PENDING) { nodes { id } } }"""
    assert (await gql.data(pending, token=world.token("user_a")))["leads"]["nodes"] == []
    one = await gql.data(
        "query($id: ID!) { lead(id: $id) { distributionStatus partner { id } } }",
        {"id": lead_id},
        token=world.token("vendor_admin"),
    )
    assert one["lead"] == {"distributionStatus": "RETURNED", "partner": None}
    await _assert_returned_once(lead_id)


async def test_the_vendor_can_hand_out_an_overdue_lead_again_without_the_job(
    world: World, gql: GraphQLClient
):
    lead_id = await _distributed_lead(gql, world, "again@prospect.example")
    await _deadline_passes(lead_id)
    # The vendor's first action after the deadline: give it to partner B.
    body = await gql.data(
        DISTRIBUTE,
        {"ids": [lead_id], "p": gid("Partner", world.partner_b.id), "by": None},
        token=world.token("vendor_admin"),
    )
    assert body["distributeLeads"]["__typename"] == "DistributedLeads"
    lead = await Lead.get(id=pk_of(lead_id))
    assert lead.partner_id == world.partner_b.id  # type: ignore[attr-defined]
    assert lead.distribution_status is DistributionStatus.PENDING
    kinds = [event.kind for event in await LeadEvent.filter(lead_id=lead.id).order_by("id")]
    assert kinds == ["created", "distributed", "returned", "distributed"]


async def test_an_ended_popup_reads_and_acts_as_expired_without_the_job(
    world: World, gql: GraphQLClient
):
    created = await gql.data(
        """mutation($ends: DateTime) { createMessage(input: {kind: POPUP, title: "Webinar",
            body: "<p>Join us</p>", allPartners: true, pages: ["dashboard"], endsAt: $ends}) {
            ... on PartnerMessage { id } } }""",
        {"ends": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        token=world.token("vendor_admin"),
    )
    message_id = created["createMessage"]["id"]
    published = await gql.data(
        "mutation($id: ID!) { publishMessage(id: $id) { ... on PartnerMessage { status } } }",
        {"id": message_id},
        token=world.token("vendor_admin"),
    )
    assert published["publishMessage"] == {"status": "PUBLISHED"}
    unread = "{ messageCentre { unreadCount } }"
    assert (await gql.data(unread, token=world.token("user_a")))["messageCentre"] == {
        "unreadCount": 1
    }

    # Its end date passes; the schedule job has not run.
    await Message.filter(id=pk_of(message_id)).update(
        ends_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await gql.data(unread, token=world.token("user_a")))["messageCentre"] == {
        "unreadCount": 0
    }
    admin = world.token("vendor_admin")
    one = await gql.data(
        "query($id: ID!) { message(id: $id) { status } }", {"id": message_id}, token=admin
    )
    assert one["message"] == {"status": "EXPIRED"}
    listed = """query($s: MessageStatus) { messages(status: $s) { edges { node { id } } } }"""
    expired = await gql.data(listed, {"s": "EXPIRED"}, token=admin)
    assert [e["node"]["id"] for e in expired["messages"]["edges"]] == [message_id]
    still_published = await gql.data(listed, {"s": "PUBLISHED"}, token=admin)
    assert still_published["messages"]["edges"] == []
    edited = await gql.data(
        """mutation($id: ID!) { updateMessage(id: $id, input: {title: "Too late"}) {
            __typename ... on OperationErrors { errors { field code } } } }""",
        {"id": message_id},
        token=admin,
    )
    assert edited["updateMessage"] == {
        "__typename": "OperationErrors",
        "errors": [{"field": "status", "code": "EXPIRED"}],
    }
    message = await Message.get(id=pk_of(message_id))
    assert message.title == "Webinar"
    assert message.status is MessageStatus.PUBLISHED  # the job's bookkeeping is still to come


OVERVIEW = """query($status: CustomerStatus) { customerOverview(status: $status, first: 50) {
  edges { node { name status daysLeftInTrial } } counts { trial closed } } }"""
REGISTER_DEAL = """mutation($customer: ID!) { registerDeal(customerId: $customer,
  product: "Pro plan", amount: "100", currency: "EUR") {
  __typename ... on OperationErrors { errors { field code } } } }"""
DEALS = "query { deals(first: 10) { nodes { product status lostReason } } }"


async def test_an_ended_trial_reads_and_acts_as_closed_without_the_job(
    world: World, gql: GraphQLClient
):
    token = world.token("user_a")
    created = await gql.data(
        """mutation { createCustomer(name: "Ends Soon BV") {
            ... on Customer { id status } } }""",
        token=token,
    )
    customer = created["createCustomer"]
    assert customer["status"] == "TRIAL"
    registered = await gql.data(REGISTER_DEAL, {"customer": customer["id"]}, token=token)
    assert registered["registerDeal"]["__typename"] == "Deal"

    # The trial ends; the close-ended-trials job has not run.
    await Customer.filter(id=pk_of(customer["id"])).update(
        trial_ends_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    trials = (await gql.data(OVERVIEW, {"status": "TRIAL"}, token=token))["customerOverview"]
    assert trials["edges"] == []
    assert trials["counts"] == {"trial": 0, "closed": 1}
    closed = (await gql.data(OVERVIEW, {"status": "CLOSED"}, token=token))["customerOverview"]
    assert [edge["node"] for edge in closed["edges"]] == [
        {"name": "Ends Soon BV", "status": "CLOSED", "daysLeftInTrial": None}
    ]
    # Closed as the job closes it: the open deal is lost, no new deal can be registered.
    deals = (await gql.data(DEALS, token=token))["deals"]["nodes"]
    assert [(d["product"], d["status"]) for d in deals] == [("Pro plan", "LOST")]
    refused = await gql.data(REGISTER_DEAL, {"customer": customer["id"]}, token=token)
    assert refused["registerDeal"]["__typename"] == "OperationErrors"
    assert await Deal.filter(customer_id=pk_of(customer["id"])).count() == 1
    ended = await CustomerActivity.filter(
        customer_id=pk_of(customer["id"]), kind=ActivityKind.TRIAL_ENDED
    ).count()
    assert ended == 1
