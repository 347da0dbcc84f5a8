"""The records inside customer accounts and deals as nodes: node(id) loads each of them with the
customer's tenancy (another partner's record reads like a missing one), and links between them
are objects (a commission's deal and partner, a switch entry's customer and actor)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models.accounts import AttentionItem, CustomerUser, SwitchAccountAudit
from models.customers import CustomerContact
from models.deals import Commission
from services.customers.attention import refresh_attention_items
from services.deals import conversion
from services.deals import service as deals
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import gid

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Commission { amount deal { id product } partner { name } customer { name } }
  ... on CustomerSubscription { plan }
  ... on CustomerContact { email }
  ... on AttentionItem { kind }
  ... on CustomerAccountUser { email }
  ... on DealNote { body }
  ... on SwitchAccountAuditEntry { outcome customer { name } actor { email } }
} }"""
SWITCH = """mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token } ... on OperationErrors { errors { code } } } }"""


async def test_records_of_a_customer_are_nodes_with_its_tenancy(world, gql, settings) -> None:
    now = fixed_now()
    customer = await make_customer(world.partner_a, "Node Co", now, trial_ends_in=timedelta(days=3))
    viewer = await viewer_for(settings, world.token("user_a"))
    deal = await deals.register_deal(viewer, customer.id, "Suite", Decimal("100"), note="Hi")
    result = await conversion.convert_to_paid(viewer, customer.id, deal.id, plan="Gold")
    await CustomerUser.create(customer=customer, email="u@node.test", created_at=now)
    await refresh_attention_items(now, [customer.id])
    await gql.data(SWITCH, {"id": gid("Customer", customer.id)}, token=world.token("admin_a"))
    commission = await Commission.get(deal_id=deal.id)
    note_id = (await deals.notes_of_deals([deal.id]))[deal.id][0].id
    ids = {
        "Commission": commission.id,
        "CustomerSubscription": result.subscription.id,
        "CustomerContact": (await CustomerContact.filter(customer_id=customer.id).first()).id,
        "CustomerAccountUser": (await CustomerUser.get(customer_id=customer.id)).id,
        "DealNote": note_id,
        "SwitchAccountAuditEntry": (await SwitchAccountAudit.get(customer_id=customer.id)).id,
    }
    ids["AttentionItem"] = (await AttentionItem.get(customer_id=customer.id)).id
    for type_name, pk in ids.items():
        global_id = gid(type_name, pk)
        own = await gql.request(NODE, {"id": global_id}, token=world.token("admin_a"))
        assert own["data"]["node"]["__typename"] == type_name, own
        assert own["data"]["node"]["id"] == global_id
        foreign = await gql.request(NODE, {"id": global_id}, token=world.token("admin_b"))
        missing = await gql.request(
            NODE, {"id": gid(type_name, pk + 1000)}, token=world.token("admin_b")
        )
        assert foreign["data"]["node"] is None
        assert foreign["errors"][0]["message"] == missing["errors"][0]["message"], type_name
        assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    linked = await gql.data(
        NODE, {"id": gid("Commission", commission.id)}, token=world.token("user_a")
    )
    assert linked["node"]["deal"] == {"id": gid("Deal", deal.id), "product": "Suite"}
    assert linked["node"]["partner"] == {"name": world.partner_a.name}
    assert linked["node"]["customer"] == {"name": "Node Co"}
    entry = await gql.data(
        NODE,
        {"id": gid("SwitchAccountAuditEntry", ids["SwitchAccountAuditEntry"])},
        token=world.token("admin_a"),
    )
    assert entry["node"]["customer"] == {"name": "Node Co"}
    assert entry["node"]["actor"] == {"email": world.admin_a.email}
