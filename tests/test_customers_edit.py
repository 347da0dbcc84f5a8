"""Editing a customer after it was opened (updateCustomer): contacts and framework progress,
typed errors that write nothing, tenancy (own partner's customers; vendor admins all), and the
"renewal contacts missing" attention item that resolves once the contacts are set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.accounts import AttentionItem, AttentionKind
from models.customers import Customer, CustomerContact
from models.enums import ContactRole, CustomerStatus
from services.customers.attention import refresh_attention_items
from tests.accounts_support import make_customer
from tests.conftest import gid

UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) {
  updateCustomer(id: $id, input: $input) {
    ... on Customer { id mainFramework frameworkProgress needsAttention attentionCount
      attentionItems { nodes { kind } } contacts { role email fullName } }
    ... on OperationErrors { errors { field code message } }
  }
}"""

PAGE = """query($id: ID!) { customer(id: $id) { id needsAttention
  attentionItems(includeResolved: true) { nodes { kind resolvedAt } } } }"""


async def _active_customer_missing_contacts(world) -> Customer:
    customer = await make_customer(
        world.partner_a,
        "Harbour Clinic",
        datetime.now(UTC),
        status=CustomerStatus.ACTIVE,
        renewal_in=timedelta(days=40),
        contacts=(ContactRole.PRIMARY,),
    )
    await refresh_attention_items(customer_ids=[customer.id])
    return customer


async def _contacts(customer: Customer) -> dict[str, str]:
    rows = await CustomerContact.filter(customer_id=customer.id).values_list("role", "email")
    return {str(getattr(role, "value", role)): email for role, email in rows}


async def test_setting_the_renewal_contacts_resolves_the_attention_item(world, gql) -> None:
    customer = await _active_customer_missing_contacts(world)
    open_kinds = await AttentionItem.filter(
        customer_id=customer.id, resolved_at__isnull=True
    ).values_list("kind", flat=True)
    assert list(open_kinds) == [AttentionKind.MISSING_RENEWAL_CONTACTS]

    result = await gql.data(
        UPDATE,
        {
            "id": gid("Customer", customer.id),
            "input": {
                "frameworkProgress": 75,
                "mainFramework": "NIS2",
                "contacts": [
                    {"role": "BILLING", "email": "Billing@Harbour.test", "fullName": "Bo Bill"},
                    {"role": "DECISION_MAKER", "email": "ceo@harbour.test"},
                ],
            },
        },
        token=world.token("user_a"),
    )
    updated = result["updateCustomer"]
    assert updated["id"] == gid("Customer", customer.id)
    assert (updated["mainFramework"], updated["frameworkProgress"]) == ("NIS2", 75)
    assert updated["needsAttention"] is False
    assert updated["attentionCount"] == 0
    assert updated["attentionItems"]["nodes"] == []
    assert {c["role"] for c in updated["contacts"]} == {"PRIMARY", "BILLING", "DECISION_MAKER"}
    item = await AttentionItem.get(
        customer_id=customer.id, kind=AttentionKind.MISSING_RENEWAL_CONTACTS
    )
    assert item.resolved_at is not None
    stored = await Customer.get(id=customer.id)
    assert (stored.main_framework, stored.framework_progress) == ("NIS2", 75)
    assert (await _contacts(customer))["billing"] == "billing@harbour.test"

    # Removing the billing contact again reopens the item; replacing a contact keeps one per role.
    again = await gql.data(
        UPDATE,
        {
            "id": gid("Customer", customer.id),
            "input": {
                "removeContacts": ["BILLING"],
                "contacts": [{"role": "PRIMARY", "email": "new-primary@harbour.test"}],
            },
        },
        token=world.token("vendor_admin"),
    )
    assert again["updateCustomer"]["needsAttention"] is True
    assert await _contacts(customer) == {
        "primary": "new-primary@harbour.test",
        "decision_maker": "ceo@harbour.test",
    }
    page = await gql.data(PAGE, {"id": gid("Customer", customer.id)}, token=world.token("user_a"))
    kinds = [
        (i["kind"], i["resolvedAt"] is None) for i in page["customer"]["attentionItems"]["nodes"]
    ]
    assert kinds == [("MISSING_RENEWAL_CONTACTS", True)]


async def test_bad_input_is_refused_with_typed_errors_and_writes_nothing(world, gql) -> None:
    customer = await _active_customer_missing_contacts(world)
    before = await _contacts(customer)
    cases = [
        ({"frameworkProgress": 101}, "frameworkProgress", "INVALID"),
        ({"frameworkProgress": -1}, "frameworkProgress", "INVALID"),
        ({"mainFramework": "x" * 101}, "mainFramework", "INVALID"),
        ({"contacts": [{"role": "BILLING", "email": "not-an-address"}]}, "contacts[0].email", None),
        (
            {
                "contacts": [
                    {"role": "BILLING", "email": "a@b.test"},
                    {"role": "BILLING", "email": "c@d.test"},
                ]
            },
            "contacts[1].role",
            "INVALID",
        ),
        (
            {"contacts": [{"role": "BILLING", "email": "a@b.test"}], "removeContacts": ["BILLING"]},
            "contacts[0].role",
            "INVALID",
        ),
    ]
    for changes, field, code in cases:
        result = await gql.data(
            UPDATE,
            {"id": gid("Customer", customer.id), "input": {**changes, "frameworkProgress": 90}}
            if "frameworkProgress" not in changes
            else {"id": gid("Customer", customer.id), "input": changes},
            token=world.token("user_a"),
        )
        errors = result["updateCustomer"]["errors"]
        assert field in {e["field"] for e in errors}, (changes, errors)
        if code:
            assert {e["code"] for e in errors} == {code}
    stored = await Customer.get(id=customer.id)
    assert stored.framework_progress == 40  # the valid part of a refused change is not kept
    assert await _contacts(customer) == before


async def test_only_the_own_partner_or_a_vendor_admin_edits_a_customer(world, gql) -> None:
    customer = await _active_customer_missing_contacts(world)
    variables = {"id": gid("Customer", customer.id), "input": {"frameworkProgress": 99}}
    foreign = await gql.data(UPDATE, variables, token=world.token("user_b"))
    missing = await gql.data(
        UPDATE,
        {**variables, "id": gid("Customer", customer.id + 1000)},
        token=world.token("user_b"),
    )
    # Another partner's customer reads exactly like a missing one.
    assert foreign["updateCustomer"] == missing["updateCustomer"]
    assert foreign["updateCustomer"]["errors"][0]["code"] == "NOT_FOUND"
    manager = await gql.data(UPDATE, variables, token=world.token("manager"))
    assert manager["updateCustomer"]["errors"][0]["code"] == "FORBIDDEN"
    wrong_type = await gql.data(
        UPDATE, {**variables, "id": gid("Partner", world.partner_a.id)}, token=world.token("user_a")
    )
    assert wrong_type["updateCustomer"]["errors"][0] == {
        "field": "id",
        "code": "INVALID",
        "message": "Expected a Customer id.",
    }
    assert (await Customer.get(id=customer.id)).framework_progress == 40
    admin = await gql.data(UPDATE, variables, token=world.token("admin_a"))
    assert admin["updateCustomer"]["frameworkProgress"] == 99
    vendor = await gql.data(
        UPDATE,
        {"id": variables["id"], "input": {"frameworkProgress": 100}},
        token=world.token("vendor_admin"),
    )
    assert vendor["updateCustomer"]["frameworkProgress"] == 100
