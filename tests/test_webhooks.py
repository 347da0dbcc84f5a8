"""Outbound webhooks through the public API, delivered to a real receiver that verifies the
Standard Webhooks signatures with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from models.webhooks import DeliveryState, WebhookEvent
from services.email.sender import deliver_due_emails
from services.webhooks.addresses import AddressRefused, check_addresses
from services.webhooks.delivery import deliver_due_webhooks
from settings import Settings
from tests.conftest import GraphQLClient, World, free_port, gid, make_settings, pk_of
from tests.email_sink import SmtpSink
from tests.webhook_receiver import Receiver

CREATE = """
mutation($input: WebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointWithSecret { secret endpoint { id url eventTypes isActive } }
    ... on OperationErrors { errors { field message code } }
  }
}"""
CREATE_PARTNER = """
mutation($name: String!, $email: String!) {
  createPartner(input: {name: $name, country: "NL", tier: SILVER}, firstAdmin: {email: $email}) {
    __typename ... on Partner { id name } ... on OperationErrors { errors { field code } }
  }
}"""
UPDATE_PARTNER = """
mutation($id: ID!, $input: PartnerInput!) {
  updatePartner(id: $id, input: $input) { __typename ... on Partner { id tier status } }
}"""
DELIVERIES = """
query($id: ID!) {
  webhookDeliveries(endpointId: $id) {
    totalCount
    nodes {
      id messageId eventType state attempts responseStatus latencyMs responseBody
      endpoint { id url } replayOf { id }
    }
  }
}"""


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "data",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_RETRY_SECONDS="0",
    )


@pytest.fixture
def receiver() -> Any:
    server = Receiver(free_port()).start()
    yield server
    server.stop()


async def _endpoint(
    gql: GraphQLClient, world: World, receiver: Receiver, event_types: list[str], **extra: Any
) -> str:
    result = (
        await gql.data(
            CREATE,
            {"input": {"url": receiver.url, "eventTypes": event_types, **extra}},
            token=world.token("vendor_admin"),
        )
    )["createWebhookEndpoint"]
    assert result["__typename"] == "WebhookEndpointWithSecret", result
    assert result["secret"].startswith("whsec_")
    receiver.secret = result["secret"]
    return result["endpoint"]["id"]


async def test_partner_events_arrive_signed_with_the_default_payload(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    endpoint_id = await _endpoint(
        gql,
        world,
        receiver,
        ["PARTNER_CREATED", "PARTNER_UPDATED", "PARTNER_TIER_CHANGED", "PARTNER_STATUS_CHANGED"],
    )
    admin = world.token("vendor_admin")
    created = (
        await gql.data(CREATE_PARTNER, {"name": "Gamma", "email": "a@gamma.test"}, token=admin)
    )["createPartner"]
    await gql.data(UPDATE_PARTNER, {"id": created["id"], "input": {"tier": "GOLD"}}, token=admin)
    report = await deliver_due_webhooks(settings)
    assert report.delivered == 3
    assert not receiver.rejected
    types = [payload["type"] for payload in receiver.received]
    assert types == ["partner.created", "partner.updated", "partner.tier_changed"]
    first = receiver.received[0]
    # Payload ids are the API's global ids: the partner's id as createPartner answered it.
    assert first["data"]["id"] == created["id"] == gid("Partner", pk_of(created["id"], "Partner"))
    assert first["data"]["name"] == "Gamma"
    assert first["data"]["tier"] == "SILVER"
    assert receiver.received[2]["data"]["tier"] == "GOLD"
    assert set(first) == {"type", "timestamp", "data"}
    log = (await gql.data(DELIVERIES, {"id": endpoint_id}, token=admin))["webhookDeliveries"]
    assert [row["state"] for row in log["nodes"]] == ["DELIVERED"] * 3
    assert log["totalCount"] == 3
    assert {pk_of(row["id"], "WebhookDelivery") > 0 for row in log["nodes"]} == {True}
    assert [row["endpoint"] for row in log["nodes"]] == [
        {"id": endpoint_id, "url": receiver.url}
    ] * 3
    assert [row["replayOf"] for row in log["nodes"]] == [None] * 3
    assert log["nodes"][0]["responseStatus"] == 200
    assert log["nodes"][0]["responseBody"] == "ok"
    assert receiver.message_ids == [row["messageId"] for row in log["nodes"]]


async def test_a_subscription_document_shapes_the_payload(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    document = "subscription { webhookEvent { type partner { name country } } }"
    await _endpoint(gql, world, receiver, ["PARTNER_CREATED"], subscriptionQuery=document)
    await gql.data(
        CREATE_PARTNER,
        {"name": "Delta", "email": "a@delta.test"},
        token=world.token("vendor_admin"),
    )
    await deliver_due_webhooks(settings)
    assert receiver.received[0]["data"] == {
        "webhookEvent": {"type": "PARTNER_CREATED", "partner": {"name": "Delta", "country": "NL"}}
    }


async def test_an_invalid_subscription_document_is_refused(
    gql: GraphQLClient, world: World, receiver: Receiver
) -> None:
    result = (
        await gql.data(
            CREATE,
            {
                "input": {
                    "url": receiver.url,
                    "eventTypes": ["PARTNER_CREATED"],
                    "subscriptionQuery": "subscription { webhookEvent { partner { nope } } }",
                }
            },
            token=world.token("vendor_admin"),
        )
    )["createWebhookEndpoint"]
    assert result["__typename"] == "OperationErrors"
    assert result["errors"][0]["field"] == "subscriptionQuery"
    assert await WebhookEvent.all().count() == 0


async def test_a_rolled_back_change_sends_nothing(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
    # The first admin's address is taken: the partner, written first, is rolled back.
    result = (
        await gql.data(
            CREATE_PARTNER,
            {"name": "Eps", "email": "admin@alpha.test"},
            token=world.token("vendor_admin"),
        )
    )["createPartner"]
    assert result["__typename"] == "OperationErrors"
    assert await WebhookEvent.all().count() == 0
    await deliver_due_webhooks(settings)
    assert receiver.received == []


async def test_receiver_down_is_retried_then_delivered_once(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    endpoint_id = await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
    receiver.stop()
    await gql.data(
        CREATE_PARTNER, {"name": "Zeta", "email": "a@zeta.test"}, token=world.token("vendor_admin")
    )
    report = await deliver_due_webhooks(settings)
    assert report.retried == 1
    event = await WebhookEvent.get(endpoint_id=pk_of(endpoint_id, "WebhookEndpoint"))
    assert event.state is DeliveryState.PENDING
    assert event.attempts == 1
    assert event.response_status is None
    receiver.start()
    receiver.status = 503
    assert (await deliver_due_webhooks(settings)).retried == 1
    receiver.status = 200
    assert (await deliver_due_webhooks(settings)).delivered == 1
    assert (await deliver_due_webhooks(settings)).delivered == 0
    assert [p["type"] for p in receiver.received] == ["partner.created"]
    await event.refresh_from_db()
    assert (event.state, event.attempts, event.response_status) == (DeliveryState.DELIVERED, 3, 200)


async def test_a_4xx_answer_is_not_retried_and_replay_sends_it_again(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    endpoint_id = await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
    receiver.status = 410
    await gql.data(
        CREATE_PARTNER, {"name": "Eta", "email": "a@eta.test"}, token=world.token("vendor_admin")
    )
    assert (await deliver_due_webhooks(settings)).failed == 1
    event = await WebhookEvent.get(endpoint_id=pk_of(endpoint_id, "WebhookEndpoint"))
    assert (event.state, event.attempts, event.response_status) == (DeliveryState.FAILED, 1, 410)
    receiver.status = 200
    replay = (
        await gql.data(
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) {"
            " ... on WebhookDelivery { id messageId state replayOf { id messageId } } } }",
            {"id": gid("WebhookDelivery", event.id)},
            token=world.token("vendor_admin"),
        )
    )["replayWebhookDelivery"]
    assert replay["messageId"] == event.message_id
    assert replay["state"] == "PENDING"
    assert replay["replayOf"] == {
        "id": gid("WebhookDelivery", event.id),
        "messageId": event.message_id,
    }
    assert (await deliver_due_webhooks(settings)).delivered == 1
    assert receiver.message_ids == [event.message_id]


async def test_a_test_event_and_a_rotated_secret_sign_with_both_secrets(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    endpoint_id = await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
    old_secret = receiver.secret
    rotated = (
        await gql.data(
            "mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 3600) {"
            " ... on WebhookEndpointWithSecret { secret } } }",
            {"id": endpoint_id},
            token=world.token("vendor_admin"),
        )
    )["rotateWebhookSecret"]
    assert rotated["secret"] != old_secret
    sent = (
        await gql.data(
            "mutation($id: ID!) { sendTestWebhookEvent(endpointId: $id) {"
            " ... on WebhookDelivery { eventType } } }",
            {"id": endpoint_id},
            token=world.token("vendor_admin"),
        )
    )["sendTestWebhookEvent"]
    assert sent["eventType"] == "WEBHOOK_TEST"
    await deliver_due_webhooks(settings)  # the receiver still holds the OLD secret
    receiver.secret = rotated["secret"]
    await gql.data(
        CREATE_PARTNER,
        {"name": "Theta", "email": "a@theta.test"},
        token=world.token("vendor_admin"),
    )
    await deliver_due_webhooks(settings)
    assert [p["type"] for p in receiver.received] == ["webhook.test", "partner.created"]
    assert receiver.received[0]["data"]["id"] == endpoint_id
    assert not receiver.rejected


async def test_private_addresses_are_refused(gql: GraphQLClient, world: World) -> None:
    for url in ("http://10.0.0.5/hook", "http://169.254.169.254/latest", "http://[::1]:80/"):
        result = (
            await gql.data(
                CREATE,
                {"input": {"url": url, "eventTypes": ["DEAL_WON"]}},
                token=world.token("vendor_admin"),
            )
        )["createWebhookEndpoint"]
        assert result["__typename"] == "OperationErrors", url
        assert result["errors"][0]["field"] == "url"
    # At delivery, every address a host resolves to is checked (a DNS answer can change).
    with pytest.raises(AddressRefused):
        check_addresses("evil.test", ["93.184.216.34", "127.0.0.1"], ())
    assert check_addresses("ok.test", ["127.0.0.1"], ("127.0.0.0/8",)) == "127.0.0.1"


async def test_partner_admins_cannot_see_or_create_endpoints(
    gql: GraphQLClient, world: World, receiver: Receiver
) -> None:
    await _endpoint(gql, world, receiver, ["DEAL_WON"])
    for name in ("admin_a", "manager", "user_a"):
        body = await gql.request(
            "{ webhookEndpoints { nodes { id url } } }", token=world.token(name)
        )
        assert body["data"] is None, name
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
        body = await gql.request(
            CREATE,
            {"input": {"url": receiver.url, "eventTypes": ["DEAL_WON"]}},
            token=world.token(name),
        )
        assert body["data"] is None, name
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", name


async def test_concurrent_senders_deliver_each_event_once(
    gql: GraphQLClient, world: World, receiver: Receiver, settings: Settings
) -> None:
    await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
    admin = world.token("vendor_admin")
    for number in range(12):
        await gql.data(
            CREATE_PARTNER, {"name": f"P{number}", "email": f"a@p{number}.test"}, token=admin
        )

    async def sender(worker_id: str) -> int:
        delivered = 0
        for _ in range(30):
            delivered += (await deliver_due_webhooks(settings, worker_id=worker_id)).delivered
        return delivered

    counts = await asyncio.gather(sender("one"), sender("two"))
    assert sum(counts) == 12
    assert len(receiver.message_ids) == len(set(receiver.message_ids)) == 12
    # One endpoint's events arrive in event-time order.
    assert [p["data"]["name"] for p in receiver.received] == [f"P{n}" for n in range(12)]


async def test_a_sustained_failure_streak_disables_the_endpoint_and_emails_support(
    gql: GraphQLClient, world: World, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    with SmtpSink() as sink:
        settings = make_settings(
            database_url,
            tmp_path / "streak",
            WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
            WEBHOOK_RETRY_SECONDS="0",
            WEBHOOK_DISABLE_AFTER_FAILURES="3",
            WEBHOOK_DISABLE_AFTER_SECONDS="0",
            SMTP_URL=sink.url,
        )
        admin = world.token("vendor_admin")
        saved = await gql.data(
            'mutation { updateVendorSettings(input: {supportEmail: "support@vendor.test"}) {'
            " __typename } }",
            token=admin,
        )
        assert saved["updateVendorSettings"]["__typename"] == "VendorSettings", saved
        endpoint_id = await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
        receiver.status = 500
        await gql.data(CREATE_PARTNER, {"name": "Iota", "email": "a@iota.test"}, token=admin)
        reports = [await deliver_due_webhooks(settings) for _ in range(4)]
        assert [r.retried for r in reports] == [1, 1, 1, 0]
        assert [r.disabled for r in reports] == [0, 0, 1, 0]
        endpoints = (
            await gql.data(
                "{ webhookEndpoints { nodes { id isActive disabledReason failureStreak } } }",
                token=admin,
            )
        )["webhookEndpoints"]["nodes"]
        assert len(endpoints) == 1
        assert endpoints[0]["id"] == endpoint_id
        assert endpoints[0]["isActive"] is False
        assert endpoints[0]["failureStreak"] == 3
        assert "3 failed attempts in a row" in endpoints[0]["disabledReason"]
        # The event is kept for when the endpoint is set active again.
        event = await WebhookEvent.get(endpoint_id=pk_of(endpoint_id, "WebhookEndpoint"))
        assert (event.state, event.attempts) == (DeliveryState.PENDING, 3)
        await deliver_due_emails(settings)
        [notice] = sink.messages()
        assert notice.recipients == ("support@vendor.test",)
        assert receiver.url in str(notice.message["Subject"])
        body = notice.message.get_body(preferencelist=("plain",))
        assert body is not None
        assert "3 failed attempts in a row" in body.get_content()


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on WebhookEndpoint { url } ... on WebhookDelivery { messageId endpoint { id } } } }"""
PAGE = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  webhookDeliveries(endpointId: $id, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def test_endpoints_and_deliveries_are_nodes_with_global_ids_and_paged_logs(
    gql: GraphQLClient, world: World, receiver: Receiver
) -> None:
    endpoint_id = await _endpoint(gql, world, receiver, ["PARTNER_CREATED"])
    admin = world.token("vendor_admin")
    for number in range(5):
        await gql.data(
            CREATE_PARTNER, {"name": f"N{number}", "email": f"a@n{number}.test"}, token=admin
        )
    rows = await WebhookEvent.filter(endpoint_id=pk_of(endpoint_id, "WebhookEndpoint")).order_by(
        "id"
    )
    delivery_ids = [gid("WebhookDelivery", row.id) for row in rows]
    # The log pages both ways, with a total count.
    forward = (await gql.data(PAGE, {"id": endpoint_id, "first": 2}, token=admin))[
        "webhookDeliveries"
    ]
    assert [n["id"] for n in forward["nodes"]] == delivery_ids[:2]
    assert forward["totalCount"] == 5
    assert forward["pageInfo"]["hasNextPage"] is True
    backward = (
        await gql.data(
            PAGE,
            {"id": endpoint_id, "last": 2, "before": forward["pageInfo"]["endCursor"]},
            token=admin,
        )
    )["webhookDeliveries"]
    assert [n["id"] for n in backward["nodes"]] == delivery_ids[:1]
    assert backward["pageInfo"]["hasPreviousPage"] is False
    # node(id) fetches either type for a vendor admin, and nobody else.
    node = (await gql.data(NODE, {"id": endpoint_id}, token=admin))["node"]
    assert node == {"__typename": "WebhookEndpoint", "id": endpoint_id, "url": receiver.url}
    node = (await gql.data(NODE, {"id": delivery_ids[0]}, token=admin))["node"]
    assert node["messageId"] == rows[0].message_id
    assert node["endpoint"] == {"id": endpoint_id}
    for name in ("admin_a", "user_a"):
        body = await gql.request(NODE, {"id": endpoint_id}, token=world.token(name))
        assert body["data"]["node"] is None, name
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
    # An id of another type, or an old bare pk, is INVALID, naming the expected type.
    partner_id = gid("Partner", world.partner_a.id)
    for value in (partner_id, str(rows[0].id)):
        body = await gql.request(PAGE, {"id": value}, token=admin)
        assert body["errors"][0]["extensions"]["code"] == "INVALID", value
        assert body["errors"][0]["message"] == "Expected a WebhookEndpoint id."
        replayed = (
            await gql.data(
                "mutation($id: ID!) { replayWebhookDelivery(id: $id) {"
                " ... on OperationErrors { errors { field code message } } } }",
                {"id": value},
                token=admin,
            )
        )["replayWebhookDelivery"]
        assert replayed["errors"] == [
            {"field": "id", "code": "INVALID", "message": "Expected a WebhookDelivery id."}
        ]
    assert await WebhookEvent.all().count() == 5


async def test_a_missing_endpoint_is_null_with_an_error_not_a_wiped_response(
    gql: GraphQLClient, world: World, receiver: Receiver
) -> None:
    endpoint_id = await _endpoint(gql, world, receiver, ["DEAL_WON"])
    query = """query($id: ID!) { webhookEndpoint(id: $id) { id url }
      webhookEndpoints { totalCount } }"""
    admin = world.token("vendor_admin")
    found = await gql.data(query, {"id": endpoint_id}, token=admin)
    assert found["webhookEndpoint"] == {"id": endpoint_id, "url": receiver.url}

    missing = gid("WebhookEndpoint", pk_of(endpoint_id) + 1000)
    body = await gql.request(query, {"id": missing}, token=admin)
    assert body["data"] == {"webhookEndpoint": None, "webhookEndpoints": {"totalCount": 1}}
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["webhookEndpoint"], "NOT_FOUND")
