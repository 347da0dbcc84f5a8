"""The audit log, through the public API: every mutation leaves an entry; changed rows carry
their old and new values with secrets masked; act-as and CLI calls are attributed; a rolled-back
change leaves no done entry; filters, tenancy, append-only rows and the retention job."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from models.audit import AuditEntry, AuditLogError
from schema.schema import schema
from services.audit.jobs import delete_expired_audit_entries
from settings import Settings
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import GraphQLClient, World, gid, server_environment, token_for

ENTRIES = """
query($operation: String, $objectType: String, $objectId: ID, $actorId: ID, $partnerId: ID,
      $since: DateTime, $until: DateTime, $first: Int, $after: String, $last: Int,
      $before: String) {
  auditLog(operation: $operation, objectType: $objectType, objectId: $objectId,
           actorId: $actorId, partnerId: $partnerId, since: $since, until: $until,
           first: $first, after: $after, last: $last, before: $before) {
    nodes { id operation outcome errorCode action objectType objectId actor { id email }
            actorEmail actorRole actingAsCustomer { id name } partner { id name } arguments
            clientAddress userAgent occurredAt changes { field oldValue newValue } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

_SCALAR_SAMPLES: dict[str, Any] = {
    "ID": "987654",
    "String": "audit sample",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "DateTime": "2030-01-01T00:00:00+00:00",
    "Date": "2030-01-01",
    "Decimal": "1",
    "JSON": {},
}


def _sample(kind: GraphQLInputType) -> Any:
    """A value of a GraphQL input type, with only the required fields of input objects."""
    if isinstance(kind, GraphQLNonNull):
        return _sample(kind.of_type)
    if isinstance(kind, GraphQLList):
        return []
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: _sample(field.type)
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    assert isinstance(kind, GraphQLScalarType)
    return _SCALAR_SAMPLES.get(kind.name, "x")


def _call(name: str) -> tuple[str, dict[str, Any]]:
    """A document calling mutation `name` with its required arguments, and their values."""
    field = schema._schema.mutation_type.fields[name]  # type: ignore[union-attr]
    required = {
        arg_name: arg
        for arg_name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    }
    declared = "".join(f"${n}: {a.type}, " for n, a in required.items()).rstrip(", ")
    passed = ", ".join(f"{n}: ${n}" for n in required)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    head = f"mutation({declared})" if declared else "mutation"
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call}{selection} }}", {n: _sample(a.type) for n, a in required.items()}


ROOT = Path(__file__).resolve().parent.parent


def _run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    """A CLI command in a child process (run in a thread by the async tests)."""
    return subprocess.run(command, check=False, **options)


MUTATIONS = sorted(schema._schema.mutation_type.fields)  # type: ignore[union-attr]


async def _entries(gql: GraphQLClient, token: str, **filters: Any) -> list[dict[str, Any]]:
    body = await gql.data(ENTRIES, {"first": 100, **filters}, token=token)
    return body["auditLog"]["nodes"]


async def test_every_mutation_leaves_an_entry(gql: GraphQLClient, world: World, settings) -> None:
    """Table-driven over the schema: a Mutation field added later is called here too."""
    assert len(MUTATIONS) > 50
    missing = []
    for name in MUTATIONS:
        document, variables = _call(name)
        # A fresh session per call: logout or a password change must not end the next one's.
        token = await token_for(settings, world.vendor_admin)
        await gql.request(document, variables, token=token)
        if not await AuditEntry.filter(operation=name).exists():
            missing.append(name)
    assert missing == []
    seen = await _entries(gql, world.token("vendor_admin"), operation="updatePartner")
    assert seen
    assert seen[0]["outcome"] == "REFUSED"
    assert seen[0]["errorCode"] == "INVALID"  # the sample "987654" is no global id
    assert seen[0]["actorEmail"] == "admin@vendor.test"


UPDATE_PARTNER = """mutation($id: ID!, $name: String!) {
  updatePartner(id: $id, input: {name: $name}) { __typename } }"""
UPDATE_USER = """mutation($id: ID!) {
  updateUser(id: $id, input: {fullName: "Renamed"}) { __typename } }"""
CREATE_LEAD = """mutation { createLead(input: {email: "buyer@acme.example", company: "Acme"}) {
  __typename ... on Lead { id } } }"""
REGISTER_DEAL = """mutation($customer: ID!) {
  registerDeal(customerId: $customer, product: "Pro", amount: "1200") {
    __typename ... on Deal { id } } }"""
VENDOR_SETTINGS = """mutation {
  updateVendorSettings(input: {consentTokenLifetimeDays: 9}) { __typename } }"""
CREATE_MESSAGE = """mutation { createMessage(input: {kind: EMAIL, title: "Hello", body: "<p>Hi</p>",
  allPartners: true}) { __typename ... on PartnerMessage { id } } }"""


def _changes(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["oldValue"], c["newValue"]) for c in entry["changes"]}


async def test_representative_mutations_record_old_and_new_values(
    gql: GraphQLClient, world: World
) -> None:
    """One representative state change per domain: partners, users, leads, deals, vendor,
    messaging; each entry names actor, role, object and the changed fields' old/new values."""
    admin = world.token("vendor_admin")
    customer = await make_customer(world.partner_a, "Audit Customer", fixed_now())
    cases = [
        # (domain, token, document, variables, object type, field, old, new)
        (
            "partners",
            admin,
            UPDATE_PARTNER,
            {"id": gid("Partner", world.partner_a.id), "name": "Alpha Renamed"},
            "Partner",
            "name",
            "Alpha Partners",
            "Alpha Renamed",
        ),
        (
            "users",
            world.token("admin_a"),
            UPDATE_USER,
            {"id": gid("User", world.user_a.id)},
            "User",
            "full_name",
            "",
            "Renamed",
        ),
        ("leads", world.token("user_a"), CREATE_LEAD, {}, "Lead", "company", None, "Acme"),
        (
            "deals",
            world.token("user_a"),
            REGISTER_DEAL,
            {"customer": gid("Customer", customer.id)},
            "Deal",
            "amount",
            None,
            "1200.00",
        ),
        (
            "vendor",
            admin,
            VENDOR_SETTINGS,
            {},
            "VendorSettings",
            "consent_token_lifetime_days",
            14,
            9,
        ),
        ("messaging", admin, CREATE_MESSAGE, {}, "PartnerMessage", "title", None, "Hello"),
    ]
    for domain, token, document, variables, object_type, field, old, new in cases:
        result = await gql.request(document, variables, token=token)
        assert not result.get("errors"), (domain, result)
        operation = document.split("{", 1)[1].split("(")[0].strip()
        entries = [
            e
            for e in await _entries(gql, admin, operation=operation)
            if e["objectType"] == object_type
        ]
        assert entries, (domain, operation)
        entry = entries[-1]
        assert entry["outcome"] == "DONE", domain
        assert entry["clientAddress"] == "10.0.0.1", domain
        changes = _changes(entry)
        assert field in changes, (domain, changes)
        if old is not None or entry["action"] == "UPDATED":
            assert changes[field] == (old, new), (domain, changes[field])
        else:
            assert changes[field][1] == new, (domain, changes[field])
    partner_entry = (await _entries(gql, admin, operation="updatePartner"))[-1]
    assert partner_entry["objectId"] == gid("Partner", world.partner_a.id)
    assert partner_entry["partner"] == {
        "id": gid("Partner", world.partner_a.id),
        "name": "Alpha Renamed",
    }
    assert partner_entry["actor"] == {
        "id": gid("User", world.vendor_admin.id),
        "email": "admin@vendor.test",
    }
    assert partner_entry["actorRole"] == "vendor_admin"
    user_entry = (await _entries(gql, admin, operation="updateUser"))[-1]
    assert user_entry["actorEmail"] == "admin@alpha.test"
    assert user_entry["partner"]["id"] == gid("Partner", world.partner_a.id)
    assert user_entry["objectId"] == gid("User", world.user_a.id)
    # The entry is a node: fetched again by its global id.
    again = await gql.data(
        "query($id: ID!) { node(id: $id) { id ... on AuditEntry { operation } } }",
        {"id": user_entry["id"]},
        token=admin,
    )
    assert again["node"] == {"id": user_entry["id"], "operation": "updateUser"}


async def test_secrets_are_masked(gql: GraphQLClient, world: World) -> None:
    invited = await gql.data(
        """mutation { createUser(input: {email: "new@alpha.test", fullName: "New"}) {
             ... on InvitedUser { invitationUrl } } }""",
        token=world.token("admin_a"),
    )
    token = invited["createUser"]["invitationUrl"].split("#", 1)[1]
    accepted = await gql.request(
        """mutation($token: String!) { acceptInvitation(token: $token,
             password: "a brand new passphrase") { __typename } }""",
        {"token": token},
    )
    assert not accepted.get("errors"), accepted
    login = await gql.request(
        """mutation { login(email: "new@alpha.test", password: "a brand new passphrase") {
             __typename } }"""
    )
    assert login["data"]["login"]["__typename"] == "LoginSuccess", login
    entries = await _entries(gql, world.token("vendor_admin"))
    text = str(entries)
    assert "brand new passphrase" not in text
    assert token not in text
    accept = [e for e in entries if e["operation"] == "acceptInvitation"]
    assert accept
    assert accept[0]["arguments"] == {"token": "***", "password": "***"}
    hashes = [c for e in entries for c in e["changes"] if "hash" in c["field"]]
    assert hashes
    assert all(c["newValue"] in ("***", None) for c in hashes)
    sessions = [e for e in entries if e["objectType"] == "AuthSession"]
    assert sessions
    assert all(e["objectId"] is None for e in sessions)


async def test_act_as_calls_name_the_customer(gql: GraphQLClient, world: World) -> None:
    customer = await make_customer(world.partner_a, "Acted On", fixed_now())
    granted = await gql.data(
        """mutation($id: ID!) { switchAccount(customerId: $id) {
             ... on SwitchAccountGrant { token } } }""",
        {"id": gid("Customer", customer.id)},
        token=world.token("user_a"),
    )
    acting = granted["switchAccount"]["token"]
    await gql.data(REGISTER_DEAL, {"customer": gid("Customer", customer.id)}, token=acting)
    entries = await _entries(gql, world.token("vendor_admin"), operation="registerDeal")
    assert entries
    assert all(
        e["actingAsCustomer"] == {"id": gid("Customer", customer.id), "name": "Acted On"}
        for e in entries
    )
    assert entries[0]["actorEmail"] == "user@alpha.test"
    assert entries[0]["actorRole"] == "partner_user"


async def test_rolled_back_change_leaves_no_done_entry(gql: GraphQLClient, world: World) -> None:
    """createPartner fails on its first admin's taken email after writing the partner row in
    its transaction: the partner row and its audit entry are both rolled back."""
    body = await gql.request(
        """mutation { createPartner(input: {name: "Rolled Back"},
             firstAdmin: {email: "admin@alpha.test", fullName: "Dup"}) {
             __typename ... on OperationErrors { errors { code } } } }""",
        token=world.token("vendor_admin"),
    )
    assert body["data"]["createPartner"]["__typename"] == "OperationErrors", body
    entries = await _entries(gql, world.token("vendor_admin"), operation="createPartner")
    assert [e["outcome"] for e in entries] == ["REFUSED"]
    assert not any(e["action"] == "CREATED" for e in entries)


async def test_filters_by_actor_partner_object_operation_and_time(
    gql: GraphQLClient, world: World
) -> None:
    admin = world.token("vendor_admin")
    before = datetime.now(UTC) - timedelta(seconds=1)
    for name in ("One", "Two"):
        await gql.data(
            UPDATE_PARTNER,
            {"id": gid("Partner", world.partner_b.id), "name": f"Beta {name}"},
            token=admin,
        )
    await gql.data(UPDATE_USER, {"id": gid("User", world.user_a.id)}, token=world.token("admin_a"))
    by_object = await _entries(gql, admin, objectId=gid("Partner", world.partner_b.id))
    assert [_changes(e)["name"][1] for e in by_object] == ["Beta One", "Beta Two"]
    by_actor = await _entries(gql, admin, actorId=gid("User", world.admin_a.id))
    assert {e["operation"] for e in by_actor} == {"updateUser"}
    by_partner = await _entries(gql, admin, partnerId=gid("Partner", world.partner_b.id))
    assert {e["operation"] for e in by_partner} == {"updatePartner"}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert not await _entries(gql, admin, since=later)
    assert len(await _entries(gql, admin, since=before.isoformat(), until=later)) == 3
    assert not await _entries(gql, admin, until=before.isoformat())
    page = await gql.data(ENTRIES, {"first": 1, "operation": "updatePartner"}, token=admin)
    assert page["auditLog"]["pageInfo"]["hasNextPage"] is True
    rest = await gql.data(
        ENTRIES,
        {
            "first": 5,
            "operation": "updatePartner",
            "after": page["auditLog"]["pageInfo"]["endCursor"],
        },
        token=admin,
    )
    assert len(rest["auditLog"]["nodes"]) == 1
    assert rest["auditLog"]["totalCount"] == 2
    # Backward from the end: the last entry, with the earlier one before it.
    tail = await gql.data(ENTRIES, {"last": 1, "operation": "updatePartner"}, token=admin)
    assert _changes(tail["auditLog"]["nodes"][0])["name"][1] == "Beta Two"
    assert tail["auditLog"]["pageInfo"]["hasPreviousPage"] is True
    # Filters take global ids: a Partner id where a User id is expected is INVALID.
    wrong = await gql.request(ENTRIES, {"actorId": gid("Partner", world.partner_a.id)}, token=admin)
    assert wrong["errors"][0]["extensions"]["code"] == "INVALID"
    malformed = await gql.request(ENTRIES, {"objectId": "not an id"}, token=admin)
    assert malformed["errors"][0]["extensions"]["code"] == "INVALID"


async def test_partner_admins_see_their_own_org_only(gql: GraphQLClient, world: World) -> None:
    admin = world.token("vendor_admin")
    await gql.data(
        UPDATE_PARTNER, {"id": gid("Partner", world.partner_a.id), "name": "A2"}, token=admin
    )
    await gql.data(
        UPDATE_PARTNER, {"id": gid("Partner", world.partner_b.id), "name": "B2"}, token=admin
    )
    await gql.data(UPDATE_USER, {"id": gid("User", world.user_b.id)}, token=world.token("admin_b"))
    alpha = await _entries(gql, world.token("admin_a"))
    assert alpha
    assert {e["partner"]["id"] for e in alpha} == {gid("Partner", world.partner_a.id)}
    assert "B2" not in str(alpha)
    assert "admin@beta.test" not in str(alpha)
    # Asking for another org by filter gives nothing either.
    assert not await _entries(
        gql, world.token("admin_a"), partnerId=gid("Partner", world.partner_b.id)
    )
    # Another org's entry is not reachable by its node id either.
    beta_entry = await AuditEntry.filter(partner_id=world.partner_b.id).first()
    assert beta_entry is not None
    body = await gql.request(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": gid("AuditEntry", beta_entry.id)},
        token=world.token("admin_a"),
    )
    assert body["data"]["node"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for name in ("user_a", "manager"):
        body = await gql.request(ENTRIES, {}, token=world.token(name))
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_entries_are_append_only_and_expire_after_retention(
    gql: GraphQLClient, world: World, settings: Settings
) -> None:
    await gql.data(
        UPDATE_PARTNER,
        {"id": gid("Partner", world.partner_a.id), "name": "Kept"},
        token=world.token("vendor_admin"),
    )
    entry = await AuditEntry.filter(operation="updatePartner").first()
    assert entry is not None
    with pytest.raises(AuditLogError):
        await AuditEntry.filter(id=entry.id).update(operation="forged")
    with pytest.raises(AuditLogError):
        await AuditEntry.filter(id=entry.id).delete()
    with pytest.raises(AuditLogError):
        await entry.delete()
    entry.operation = "forged"
    with pytest.raises(AuditLogError):
        await entry.save()
    old = await AuditEntry.create(
        call_id="old", operation="ancient", outcome="done", action="called"
    )
    # Back-date it the way only a database administrator could (the ORM refuses).
    from tortoise import connections

    stamp = datetime.now(UTC) - timedelta(days=settings.audit_retention_days + 1)
    await connections.get("default").execute_query(
        'UPDATE "audit_entry" SET "occurred_at" = $1 WHERE "id" = $2'
        if connections.get("default").capabilities.dialect == "postgres"
        else 'UPDATE "audit_entry" SET "occurred_at" = ? WHERE "id" = ?',
        [
            stamp
            if connections.get("default").capabilities.dialect == "postgres"
            else stamp.isoformat(),
            old.id,
        ],
    )
    assert await delete_expired_audit_entries(settings) == 1
    assert not await AuditEntry.filter(id=old.id).exists()
    assert await AuditEntry.filter(operation="updatePartner").exists()


async def test_cli_entries_are_visible(gql: GraphQLClient, world: World, settings) -> None:
    env = server_environment(settings)
    run = await asyncio.to_thread(
        _run,
        [
            sys.executable,
            "cli.py",
            "create-admin",
            "ops@vendor.test",
            "--password",
            "an admin passphrase 1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    entries = await _entries(gql, world.token("vendor_admin"), operation="cli:create-admin")
    created = [e for e in entries if e["objectType"] == "User"]
    assert created
    assert created[0]["actorRole"] == "cli"
    assert _changes(created[0])["email"] == (None, "ops@vendor.test")
    assert _changes(created[0])["password_hash"][1] == "***"
    assert created[0]["arguments"]["password"] == "***"
    assert "an admin passphrase" not in str(entries)


async def test_cli_demo_is_audited(gql: GraphQLClient, settings: Settings) -> None:
    """`channelport demo` (into an empty database) records what it creates, actor `cli`."""
    demo = await asyncio.to_thread(
        _run,
        [sys.executable, "cli.py", "demo"],
        env=server_environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert demo.returncode == 0, demo.stderr
    login = await gql.data(
        """mutation { login(email: "admin@vendor.example", password: "channelport-demo") {
             ... on LoginSuccess { token } } }"""
    )
    token = login["login"]["token"]
    entries = await _entries(gql, token, operation="cli:demo")
    assert {e["objectType"] for e in entries} >= {"Partner", "User"}
    assert {e["actorRole"] for e in entries} == {"cli"}


async def test_a_refused_call_with_a_nul_in_its_arguments_is_recorded(
    gql: GraphQLClient, world: World
) -> None:
    """PostgreSQL text and JSON refuse NUL: the entry stores U+FFFD, the caller gets a typed
    error, never an internal one."""
    body = await gql.request(
        UPDATE_PARTNER, {"id": "\x00", "name": "x"}, token=world.token("vendor_admin")
    )
    assert body["data"]["updatePartner"]["__typename"] == "OperationErrors", body
    entries = await _entries(gql, world.token("vendor_admin"), operation="updatePartner")
    assert [(e["outcome"], e["arguments"]["id"]) for e in entries] == [("REFUSED", "\ufffd")]
