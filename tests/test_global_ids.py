"""Global object identification: opaque ids, `node`/`nodes` with the same tenancy as every other
field, and id arguments that refuse malformed ids and ids of another type (INVALID)."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import pytest

from models.customers import Customer
from models.leads import Lead
from models.messaging import Message, MessageKind
from models.partners import PartnerGroup
from models.users import SalesRep
from services.deals import service as deals
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import GraphQLClient, World, gid, pk_of

NODE = """query($id: ID!) { node(id: $id) {
  __typename id
  ... on Partner { name }
  ... on PartnerGroup { name }
  ... on User { email }
  ... on SalesRep { email }
  ... on Customer { name }
  ... on Deal { product }
  ... on Lead { email }
  ... on PartnerMessage { title }
} }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
SWITCH = """mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token } ... on OperationErrors { errors { code } } } }"""


async def _node(gql: GraphQLClient, token: str, global_id: str) -> tuple[dict | None, list]:
    body = await gql.request(NODE, {"id": global_id}, token=token)
    assert body["data"] is not None, body  # a refused node never wipes the response
    return body["data"]["node"], body.get("errors") or []


async def _records(world: World, settings) -> dict[str, tuple[str, int, int]]:
    """One record of each loadable type per partner: type name -> (type, alpha pk, beta pk)."""
    now = fixed_now()
    customers = [
        await make_customer(p, f"Cust {p.name}", now) for p in (world.partner_a, world.partner_b)
    ]
    deal_ids = []
    for token, customer in (("user_a", customers[0]), ("user_b", customers[1])):
        viewer = await viewer_for(settings, world.token(token))
        deal_ids.append((await deals.register_deal(viewer, customer.id, "Pro", Decimal("10"))).id)
    reps = [
        await SalesRep.create(partner=p, full_name="Rep", email=f"rep@{p.id}.test")
        for p in (world.partner_a, world.partner_b)
    ]
    leads = [
        await Lead.create(partner=p, email=f"lead@{p.id}.test")
        for p in (world.partner_a, world.partner_b)
    ]
    return {
        "Partner": ("Partner", world.partner_a.id, world.partner_b.id),
        "User": ("User", world.user_a.id, world.user_b.id),
        "SalesRep": ("SalesRep", reps[0].id, reps[1].id),
        "Customer": ("Customer", customers[0].id, customers[1].id),
        "Deal": ("Deal", deal_ids[0], deal_ids[1]),
        "Lead": ("Lead", leads[0].id, leads[1].id),
    }


async def test_ids_are_opaque_global_ids_that_round_trip(gql: GraphQLClient, world: World):
    data = await gql.data("{ partners { nodes { id name } } }", token=world.token("vendor_admin"))
    ids = {row["name"]: row["id"] for row in data["partners"]["nodes"]}
    assert ids["Alpha Partners"] == gid("Partner", world.partner_a.id)
    assert base64.b64decode(ids["Alpha Partners"]).decode() == f"Partner:{world.partner_a.id}"
    again = await gql.data(
        "query($id: ID!) { partner(id: $id) { id name } }",
        {"id": ids["Beta Partners"]},
        token=world.token("vendor_admin"),
    )
    assert again["partner"] == {"id": ids["Beta Partners"], "name": "Beta Partners"}


@pytest.mark.parametrize("type_name", ["Partner", "User", "SalesRep", "Customer", "Deal", "Lead"])
async def test_node_obeys_tenancy_for_each_type(gql, world, settings, type_name):
    graphql_type, alpha_pk, beta_pk = (await _records(world, settings))[type_name]
    own, foreign = gid(type_name, alpha_pk), gid(type_name, beta_pk)
    missing = gid(type_name, 999_999)

    node, errors = await _node(gql, world.token("user_a"), own)
    assert not errors
    assert node["__typename"] == graphql_type
    assert node["id"] == own
    # Another partner's object reads exactly like one that does not exist: null plus NOT_FOUND.
    foreign_node, foreign_errors = await _node(gql, world.token("user_a"), foreign)
    missing_node, missing_errors = await _node(gql, world.token("user_a"), missing)
    assert foreign_node is None
    assert missing_node is None
    assert [e["extensions"]["code"] for e in foreign_errors] == ["NOT_FOUND"]
    assert [e["message"] for e in foreign_errors] == [e["message"] for e in missing_errors]
    assert [e["path"] for e in foreign_errors] == [["node"]]
    # The vendor admin reaches both.
    for global_id in (own, foreign):
        node, errors = await _node(gql, world.token("vendor_admin"), global_id)
        assert not errors
        assert node["id"] == global_id
    # nodes: in order, null for what the caller may not see, without errors.
    body = await gql.request(NODES, {"ids": [own, foreign, missing]}, token=world.token("user_a"))
    assert not body.get("errors")
    assert [n and n["id"] for n in body["data"]["nodes"]] == [own, None, None]


async def test_node_of_vendor_only_types(gql: GraphQLClient, world: World):
    group = await PartnerGroup.create(name="Gold", description="")
    message = await Message.create(kind=MessageKind.POPUP, title="Hello", body_html="<p>Hi</p>")
    for type_name, pk, field, value in (
        ("PartnerGroup", group.id, "name", "Gold"),
        ("PartnerMessage", message.id, "title", "Hello"),
    ):
        node, errors = await _node(gql, world.token("vendor_admin"), gid(type_name, pk))
        assert not errors
        assert node[field] == value
        node, errors = await _node(gql, world.token("admin_a"), gid(type_name, pk))
        assert node is None
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_act_as_token_reaches_only_its_customer(gql, world, settings):
    now = fixed_now()
    mine = await make_customer(world.partner_a, "Mine", now)
    other_mine = await make_customer(world.partner_a, "Also Mine", now)
    grant = await gql.data(SWITCH, {"id": gid("Customer", mine.id)}, token=world.token("user_a"))
    acting = grant["switchAccount"]["token"]

    node, errors = await _node(gql, acting, gid("Customer", mine.id))
    assert not errors
    assert node["name"] == "Mine"
    node, errors = await _node(gql, acting, gid("Customer", other_mine.id))
    assert node is None
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    # Outside the customer's domain (its partner, users) the act-as token reaches nothing.
    for global_id in (gid("Partner", world.partner_a.id), gid("User", world.user_a.id)):
        node, errors = await _node(gql, acting, global_id)
        assert node is None
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql.request(
        NODES, {"ids": [gid("Customer", mine.id), gid("Partner", world.partner_a.id)]}, acting
    )
    assert [n and n["__typename"] for n in body["data"]["nodes"]] == ["Customer", None]


async def test_node_refuses_malformed_ids_and_needs_a_login(gql: GraphQLClient, world: World):
    for value in ("1", "not base64!", gid("Nope", 1), gid("Partner", 0), "UGFydG5lcjox!!"):
        node, errors = await _node(gql, world.token("vendor_admin"), value)
        assert node is None, value
        assert errors[0]["extensions"]["code"] == "INVALID", value
    body = await gql.request(NODE, {"id": gid("Partner", world.partner_a.id)})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    too_many = [gid("Partner", world.partner_a.id)] * 101
    body = await gql.request(NODES, {"ids": too_many}, token=world.token("vendor_admin"))
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_id_arguments_refuse_other_types_and_malformed_ids(gql, world, settings):
    lead = await Lead.create(partner=world.partner_a, email="x@lead.test")
    lead_id = gid("Lead", lead.id)
    admin = world.token("vendor_admin")
    query = "query($id: ID!) { partner(id: $id) { name } }"
    for value in (lead_id, str(world.partner_a.id), "UGFydG5lcjox=", "", gid("Partner", 2**31)):
        body = await gql.request(query, {"id": value}, token=admin)
        error = body["errors"][0]
        assert (error["extensions"]["code"], error["message"]) == (
            "INVALID",
            "Expected a Partner id.",
        ), value
    # In a mutation: a typed error in the payload, naming the argument, and nothing changes.
    mutation = """mutation($id: ID!, $partners: [ID!]!) {
      addPartnersToGroup(groupId: $id, partnerIds: $partners) {
        __typename ... on OperationErrors { errors { field code message } } } }"""
    group = await PartnerGroup.create(name="Static", description="")
    result = await gql.data(
        mutation, {"id": gid("PartnerGroup", group.id), "partners": [lead_id]}, token=admin
    )
    assert result["addPartnersToGroup"]["errors"] == [
        {"field": "partnerIds", "code": "INVALID", "message": "Expected a Partner id."}
    ]
    result = await gql.data(
        mutation, {"id": gid("Partner", 1), "partners": [gid("Partner", 1)]}, token=admin
    )
    assert result["addPartnersToGroup"]["errors"][0]["field"] == "groupId"
    assert result["addPartnersToGroup"]["errors"][0]["message"] == "Expected a PartnerGroup id."
    members = await gql.data(
        "query($id: ID!) { partnerGroup(id: $id) { members { nodes { id } } } }",
        {"id": gid("PartnerGroup", group.id)},
        token=admin,
    )
    assert members["partnerGroup"]["members"]["nodes"] == []


async def test_records_sharing_a_row_share_the_id(gql, world, settings):
    """Until the types merge, both views of one lead (and of one customer) carry the same id."""
    lead = await Lead.create(partner=world.partner_a, email="same@lead.test")
    customer = await make_customer(world.partner_a, "Same", fixed_now(), created_ago=timedelta(0))
    token = world.token("user_a")
    managed = await gql.data("{ leads { nodes { id } } }", token=token)
    registered = await gql.data("{ leads(source: PARTNER) { nodes { id } } }", token=token)
    assert managed["leads"]["nodes"] == [{"id": gid("Lead", lead.id)}]
    assert registered["leads"]["nodes"] == [{"id": gid("Lead", lead.id)}]
    overview = await gql.data("{ customerOverview { nodes { __typename id } } }", token=token)
    row = overview["customerOverview"]["nodes"][0]
    assert row == {"__typename": "Customer", "id": gid("Customer", customer.id)}
    assert pk_of(row["id"], "Customer") == (await Customer.get(name="Same")).id
