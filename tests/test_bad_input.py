"""Bad input gets a clear, typed error and writes nothing.

Mutations answer expected failures with `OperationErrors` (field, message, code); queries and
requests that never reach a resolver answer with a GraphQL error carrying `extensions.code`. After
every refusal, every row of the core tables is compared with the state before.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from graphql.language import Lexer, Source, TokenKind

from models.customers import Customer
from models.enums import GroupKind
from models.partners import PartnerGroup, PartnerGroupMember
from schema.platform.limits import MAX_FIELD_REPEATS
from schema.schema import MAX_ALIASES, MAX_QUERY_DEPTH, MAX_TOKENS
from services.vendor.service import get_vendor_settings
from settings import Settings
from tests.conftest import GraphQLClient, World, gid
from tests.database_state import database_state

RESULT = "__typename ... on OperationErrors { errors { field code message } }"
MISSING_PK = 987654
# Not a global id of the expected type: bare pks, other text, an id of another type (no argument
# here takes a Lead id), pks out of range, and a right id spelled another way (padding).
MALFORMED_IDS = [
    str(MISSING_PK),
    "abc",
    "-5",
    "",
    " 1",
    "99999999999999999999",
    gid("Lead", 1),
    "TGVhZDox",
    gid("Partner", 0).rstrip("="),
    "UGFydG5lcjox==",
]
# Stands for the bad id in the mutation checks: a malformed one, or a missing one of the type.
BAD = "<bad id>"

CREATE_USER = f"""mutation($input: NewUserInput!, $partner: ID) {{
  createUser(input: $input, partnerId: $partner) {{ {RESULT} }} }}"""
CREATE_PARTNER = f"""mutation($input: PartnerInput!, $admin: NewUserInput!, $groups: [ID!]) {{
  createPartner(input: $input, firstAdmin: $admin, groupIds: $groups) {{ {RESULT} }} }}"""
UPDATE_PARTNER = f"""mutation($id: ID!, $input: PartnerInput!) {{
  updatePartner(id: $id, input: $input) {{ {RESULT} }} }}"""
UPDATE_USER = f"""mutation($id: ID!, $input: UserChangesInput!) {{
  updateUser(id: $id, input: $input) {{ {RESULT} }} }}"""
SAVE_GROUP = f"""mutation($id: ID, $input: PartnerGroupInput!) {{
  savePartnerGroup(id: $id, input: $input) {{ {RESULT} }} }}"""
CREATE_CUSTOMER = f"""mutation($partner: ID, $name: String!, $contacts: [ContactInput!]) {{
  createCustomer(partnerId: $partner, name: $name, contacts: $contacts) {{ {RESULT} }} }}"""


@pytest.fixture
async def world_with_settings(world: World) -> World:
    await get_vendor_settings()  # created on first use: make it exist before any comparison
    return world


def payload_errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    (payload,) = data.values()
    assert payload["__typename"] == "OperationErrors", payload
    return payload["errors"]


async def refused(
    gql: GraphQLClient, query: str, variables: dict[str, Any], token: str
) -> list[dict[str, Any]]:
    """Run a mutation that must fail with typed errors and change nothing; return the errors."""
    before = await database_state()
    errors = payload_errors(await gql.data(query, variables, token=token))
    assert await database_state() == before
    return errors


async def graphql_error(
    gql: GraphQLClient, query: str, variables: dict[str, Any] | None, token: str
) -> dict[str, Any]:
    """Run a request that must fail as a whole with a GraphQL error and change nothing."""
    before = await database_state()
    body = await gql.request(query, variables, token=token)
    # No data: a null response, or null for a nullable single-object query.
    assert not any((body["data"] or {}).values()), body
    assert await database_state() == before
    (error,) = body["errors"]
    assert error["extensions"]["code"], error
    return error


# ---- wrong types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ partners(first: "ten") { edges { node { id } } } }', None),
        ("query($f: Int) { partners(first: $f) { edges { node { id } } } }", {"f": "ten"}),
        ("query($f: Int) { partners(first: $f) { edges { node { id } } } }", {"f": 2**40}),
        ("{ partners(first: 1.5) { edges { node { id } } } }", None),
        ("{ partners(status: RETIRED) { edges { node { id } } } }", None),
        ("{ partner { id } }", None),
        ("{ partners { edges { node { nonsense } } } }", None),
        ('mutation { createCustomer(name: 5, partnerId: "1") { __typename } }', None),
        (CREATE_CUSTOMER, {"name": ["a list"], "partner": None}),
        (
            CREATE_PARTNER,
            {"input": {"name": "Gamma", "tier": "DIAMOND"}, "admin": {"email": "a@b.test"}},
        ),
        (CREATE_USER, {"input": {"email": "x@y.test", "role": "OWNER"}}),
        (UPDATE_USER, {"id": "1", "input": {"isActive": "yes"}}),
    ],
)
async def test_wrong_types_are_refused_before_anything_runs(
    gql: GraphQLClient, world_with_settings: World, query: str, variables: dict[str, Any] | None
):
    error = await graphql_error(gql, query, variables, world_with_settings.token("vendor_admin"))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"]


async def test_syntax_errors_have_a_code(gql: GraphQLClient, world_with_settings: World):
    error = await graphql_error(
        gql, "{ partners { edges ", None, world_with_settings.token("vendor_admin")
    )
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["message"].startswith("Syntax Error")


# ---- unknown and malformed ids ---------------------------------------------------------------


ID_QUERIES = [
    ("partner", "Partner", "Partner"),
    ("user", "User", "User"),
    ("customer", "Customer", "Customer"),
    ("partnerGroup", "PartnerGroup", "Partner group"),
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
@pytest.mark.parametrize(("field", "type_name", "kind"), ID_QUERIES)
async def test_malformed_ids_in_queries_are_invalid(
    gql: GraphQLClient, world_with_settings: World, field: str, type_name: str, kind: str, bad_id
):
    query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
    error = await graphql_error(
        gql, query, {"id": bad_id}, world_with_settings.token("vendor_admin")
    )
    assert error["extensions"]["code"] == "INVALID"
    assert error["message"] == f"Expected a {type_name} id."


@pytest.mark.parametrize(("field", "type_name", "kind"), ID_QUERIES)
async def test_unknown_ids_in_queries_are_not_found(
    gql: GraphQLClient, world_with_settings: World, field: str, type_name: str, kind: str
):
    query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
    error = await graphql_error(
        gql, query, {"id": gid(type_name, MISSING_PK)}, world_with_settings.token("vendor_admin")
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == f"{kind} not found."


def _with_bad_id(value: Any, bad_id: str) -> Any:
    if value == BAD:
        return bad_id
    if isinstance(value, list):
        return [_with_bad_id(item, bad_id) for item in value]
    if isinstance(value, dict):
        return {key: _with_bad_id(item, bad_id) for key, item in value.items()}
    return value


@pytest.mark.parametrize("bad_id", [*MALFORMED_IDS, "missing"])
async def test_unknown_or_malformed_ids_in_mutations_are_typed_errors(
    gql: GraphQLClient, world_with_settings: World, bad_id: str
):
    """A malformed id (or one of another type) is INVALID; a missing one NOT_FOUND."""
    w = world_with_settings
    token = w.token("vendor_admin")
    group = await PartnerGroup.create(name="Static", kind=GroupKind.STATIC)
    partner_a, manager = gid("Partner", w.partner_a.id), gid("User", w.manager.id)
    group_id = gid("PartnerGroup", group.id)
    checks: list[tuple[str, dict[str, Any], str, str]] = [
        (UPDATE_PARTNER, {"id": BAD, "input": {"country": "BE"}}, "id", "Partner"),
        (UPDATE_USER, {"id": BAD, "input": {"fullName": "X"}}, "id", "User"),
        (SAVE_GROUP, {"id": BAD, "input": {"name": "Renamed"}}, "id", "PartnerGroup"),
        (
            f"mutation($id: ID!) {{ deletePartnerGroup(id: $id) {{ {RESULT} }} }}",
            {"id": BAD},
            "id",
            "PartnerGroup",
        ),
        (
            f"""mutation($g: ID!, $p: [ID!]!) {{ addPartnersToGroup(groupId: $g, partnerIds: $p)
                {{ {RESULT} }} }}""",
            {"g": BAD, "p": [partner_a]},
            "groupId",
            "PartnerGroup",
        ),
        (
            f"""mutation($g: ID!, $p: [ID!]!) {{ addPartnersToGroup(groupId: $g, partnerIds: $p)
                {{ {RESULT} }} }}""",
            {"g": group_id, "p": [partner_a, BAD]},
            "partnerIds",
            "Partner",
        ),
        (
            f"""mutation($g: ID!, $p: [ID!]!) {{ removePartnersFromGroup(groupId: $g,
                partnerIds: $p) {{ {RESULT} }} }}""",
            {"g": group_id, "p": [BAD]},
            "partnerIds",
            "Partner",
        ),
        (
            f"""mutation($m: ID!, $p: [ID!]!) {{ setManagedPartners(managerId: $m, partnerIds: $p)
                {{ {RESULT} }} }}""",
            {"m": BAD, "p": [partner_a]},
            "managerId",
            "User",
        ),
        (
            f"""mutation($m: ID!, $p: [ID!]!) {{ setManagedPartners(managerId: $m, partnerIds: $p)
                {{ {RESULT} }} }}""",
            {"m": manager, "p": [BAD]},
            "partnerIds",
            "Partner",
        ),
        (
            CREATE_PARTNER,
            {"input": {"name": "Gamma"}, "admin": {"email": "a@gamma.test"}, "groups": [BAD]},
            "groupIds",
            "PartnerGroup",
        ),
        (
            CREATE_USER,
            {"input": {"email": "new@alpha.test"}, "partner": BAD},
            "partnerId",
            "Partner",
        ),
        (CREATE_CUSTOMER, {"name": "Newco", "partner": BAD}, "partnerId", "Partner"),
    ]
    for query, template, field, type_name in checks:
        value = gid(type_name, MISSING_PK) if bad_id == "missing" else bad_id
        errors = await refused(gql, query, _with_bad_id(template, value), token)
        if bad_id == "missing":
            assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", field)], query
            assert errors[0]["message"].endswith("not found.")
        else:
            assert [(e["code"], e["field"]) for e in errors] == [("INVALID", field)], query
            assert errors[0]["message"] == f"Expected a {type_name} id."


async def test_a_user_who_is_not_a_channel_manager_cannot_be_given_partners(
    gql: GraphQLClient, world_with_settings: World
):
    w = world_with_settings
    errors = await refused(
        gql,
        f"""mutation($m: ID!, $p: [ID!]!) {{ setManagedPartners(managerId: $m, partnerIds: $p)
            {{ {RESULT} }} }}""",
        {"m": gid("User", w.admin_b.id), "p": [gid("Partner", w.partner_a.id)]},
        w.token("vendor_admin"),
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "managerId")]


# ---- duplicates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["user@beta.test", "USER@beta.test", "  user@Beta.Test ", "admin@vendor.test"]
)
async def test_duplicate_emails_are_refused(
    gql: GraphQLClient, world_with_settings: World, email: str
):
    w = world_with_settings
    errors = await refused(gql, CREATE_USER, {"input": {"email": email}}, w.token("admin_a"))
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "email")]
    errors = await refused(
        gql,
        CREATE_PARTNER,
        {"input": {"name": "Gamma Partners"}, "admin": {"email": email}},
        w.token("vendor_admin"),
    )
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "firstAdmin.email")]
    assert "already exists" in errors[0]["message"]


@pytest.mark.parametrize("name", ["Alpha Partners", "  Alpha Partners ", "ALPHA PARTNERS"])
async def test_duplicate_partner_names_are_refused(
    gql: GraphQLClient, world_with_settings: World, name: str
):
    w = world_with_settings
    token = w.token("vendor_admin")
    errors = await refused(
        gql, CREATE_PARTNER, {"input": {"name": name}, "admin": {"email": "a@gamma.test"}}, token
    )
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "name")]
    errors = await refused(
        gql, UPDATE_PARTNER, {"id": gid("Partner", w.partner_b.id), "input": {"name": name}}, token
    )
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "name")]


async def test_a_partner_keeps_its_own_name_when_saved_again(
    gql: GraphQLClient, world_with_settings: World
):
    w = world_with_settings
    data = await gql.data(
        UPDATE_PARTNER,
        {"id": gid("Partner", w.partner_a.id), "input": {"name": "alpha partners"}},
        token=w.token("vendor_admin"),
    )
    assert data["updatePartner"]["__typename"] == "Partner"
    await w.partner_a.refresh_from_db()
    assert w.partner_a.name == "alpha partners"


@pytest.mark.parametrize("name", ["Gold partners", "gold PARTNERS", " Gold partners  "])
async def test_duplicate_group_names_are_refused(
    gql: GraphQLClient, world_with_settings: World, name: str
):
    token = world_with_settings.token("vendor_admin")
    await PartnerGroup.create(name="Gold partners", kind=GroupKind.STATIC)
    other = await PartnerGroup.create(name="Silver partners", kind=GroupKind.STATIC)
    for variables in (
        {"input": {"name": name}},
        {"id": gid("PartnerGroup", other.id), "input": {"name": name}},
    ):
        errors = await refused(gql, SAVE_GROUP, variables, token)
        assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "name")]


async def test_customer_names_are_unique_per_partner_only(
    gql: GraphQLClient, world_with_settings: World
):
    w = world_with_settings
    first = await gql.data(CREATE_CUSTOMER, {"name": "Acme Corp"}, token=w.token("user_a"))
    assert first["createCustomer"]["__typename"] == "Customer"
    errors = await refused(gql, CREATE_CUSTOMER, {"name": "Acme Corp"}, w.token("admin_a"))
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", "name")]
    # Another partner may have a customer of the same name: nothing about A's customers shows.
    other = await gql.data(CREATE_CUSTOMER, {"name": "Acme Corp"}, token=w.token("user_b"))
    assert other["createCustomer"]["__typename"] == "Customer"
    assert await Customer.filter(name="Acme Corp").count() == 2


# ---- invalid group rules ---------------------------------------------------------------------


def condition(field: str, operator: str, *values: str) -> dict[str, Any]:
    return {"field": field, "operator": operator, "values": list(values)}


@pytest.mark.parametrize(
    ("rule", "bad_field", "message_part"),
    [
        ([condition("revenue", "in", "1")], "rule[0]", "Unknown field"),
        ([condition("tier", "like", "gold")], "rule[0]", "Unknown operator"),
        ([condition("tier", "in", "diamond")], "rule[0]", "diamond"),
        ([condition("status", "not_in", "archived")], "rule[0]", "archived"),
        ([condition("tier", "in")], "rule[0]", "at least one value"),
        ([condition("tier", "equals", "gold", "silver")], "rule[0]", "exactly one value"),
        ([condition("country", "equals", "Netherlands")], "rule[0]", "country code"),
        ([condition("country", "in", "NL", "")], "rule[0]", "country code"),
        ([condition("tier", "in", "gold"), condition("size", "in", "big")], "rule[1]", "size"),
        ([], "rule", "at least one condition"),
    ],
)
async def test_invalid_group_rules_are_refused(
    gql: GraphQLClient,
    world_with_settings: World,
    rule: list[dict[str, Any]],
    bad_field: str,
    message_part: str,
):
    token = world_with_settings.token("vendor_admin")
    existing = await PartnerGroup.create(
        name="Gold", kind=GroupKind.DYNAMIC, rule=[condition("tier", "in", "gold")]
    )
    for variables in (
        {"input": {"name": "New group", "kind": "DYNAMIC", "rule": rule}},
        {"id": gid("PartnerGroup", existing.id), "input": {"rule": rule}},
    ):
        errors = await refused(gql, SAVE_GROUP, variables, token)
        assert errors[0]["code"] == "INVALID"
        assert errors[0]["field"] == bad_field
        assert message_part in errors[0]["message"]


async def test_a_static_group_cannot_have_a_rule_and_a_dynamic_one_needs_one(
    gql: GraphQLClient, world_with_settings: World
):
    token = world_with_settings.token("vendor_admin")
    for group_input in (
        {"name": "Static", "kind": "STATIC", "rule": [condition("tier", "in", "gold")]},
        {"name": "Dynamic", "kind": "DYNAMIC"},
    ):
        errors = await refused(gql, SAVE_GROUP, {"input": group_input}, token)
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", "rule")]


# ---- invalid emails and other field values ---------------------------------------------------


BAD_EMAILS = [
    "",
    "   ",
    "not-an-email",
    "@example.test",
    "someone@",
    "someone@localhost",
    "some one@example.test",
    "a@b@example.test",
    "someone@.example.test",
    "someone@example..test",
    "someone@example.test.",
    "someone@-example.test",
    "some\u0000one@example.test",
    "someone@exa\tmple.test",
    "x" * 250 + "@example.test",
]


@pytest.mark.parametrize("email", BAD_EMAILS)
async def test_invalid_emails_are_refused_everywhere(
    gql: GraphQLClient, world_with_settings: World, email: str
):
    w = world_with_settings
    vendor = w.token("vendor_admin")
    checks: list[tuple[str, dict[str, Any], str, str]] = [
        (CREATE_USER, {"input": {"email": email}}, "email", w.token("admin_a")),
        (
            CREATE_PARTNER,
            {"input": {"name": "Gamma Partners"}, "admin": {"email": email}},
            "firstAdmin.email",
            vendor,
        ),
        (
            CREATE_CUSTOMER,
            {"name": "Newco", "contacts": [{"role": "PRIMARY", "email": email}]},
            "contacts[0].email",
            w.token("user_a"),
        ),
    ]
    if email.strip():  # an empty invoicing email clears it
        checks.append(
            (
                UPDATE_PARTNER,
                {"id": gid("Partner", w.partner_a.id), "input": {"invoicing": {"email": email}}},
                "invoicing.email",
                vendor,
            )
        )
    for query, variables, field, token in checks:
        errors = await refused(gql, query, variables, token)
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", field)], query


@pytest.mark.parametrize(
    "email", ["o'brien+news@mail.example.co.uk", "Jan.de.Vries@Example.NL", "x@xn--bcher-kva.de"]
)
async def test_valid_emails_are_accepted_and_normalised(
    gql: GraphQLClient, world_with_settings: World, email: str
):
    data = await gql.data(
        CREATE_USER, {"input": {"email": email}}, token=world_with_settings.token("admin_a")
    )
    assert data["createUser"]["__typename"] == "InvitedUser"


LONG = "x" * 201


@pytest.mark.parametrize(
    ("operation", "variables", "token_name", "bad_field"),
    [
        ("create_partner", {"input": {"name": LONG}}, "vendor_admin", "name"),
        ("create_partner", {"input": {"name": "   "}}, "vendor_admin", "name"),
        (
            "create_partner",
            {"input": {"name": "Gamma", "country": "Netherlands"}},
            "vendor_admin",
            "country",
        ),
        (
            "create_partner",
            {"input": {"name": "Gamma", "country": "N1"}},
            "vendor_admin",
            "country",
        ),
        ("create_partner", {"input": {"name": "Ga\u0000mma"}}, "vendor_admin", "name"),
        (
            "update_partner",
            {"input": {"invoicing": {"vatNumber": "9" * 51}}},
            "admin_a",
            "invoicing.vatNumber",
        ),
        (
            "update_partner",
            {"input": {"invoicing": {"companyName": LONG}}},
            "admin_a",
            "invoicing.companyName",
        ),
        (
            "update_partner",
            {"input": {"invoicing": {"address": "x" * 1001}}},
            "admin_a",
            "invoicing.address",
        ),
        (
            "update_partner",
            {"input": {"invoicing": {"companyName": "Bad\u0000BV"}}},
            "admin_a",
            "invoicing.companyName",
        ),
        (
            "create_user",
            {"input": {"email": "n@alpha.test", "fullName": LONG}},
            "admin_a",
            "fullName",
        ),
        (
            "create_user",
            {"input": {"email": "n@alpha.test", "fullName": "A\u0007B"}},
            "admin_a",
            "fullName",
        ),
        ("create_user", {"input": {"email": "n@alpha.test", "locale": "xx"}}, "admin_a", "locale"),
        (
            "create_user",
            {"input": {"email": "n@alpha.test", "password": "short"}},
            "admin_a",
            "password",
        ),
        (
            "create_user",
            {"input": {"email": "n@alpha.test", "role": "VENDOR_ADMIN"}},
            "admin_a",
            "role",
        ),
        (
            "create_user",
            {"input": {"email": "n@vendor.test", "role": "PARTNER_USER"}},
            "vendor_admin",
            "role",
        ),
        ("update_user", {"input": {"fullName": LONG}}, "admin_a", "fullName"),
        ("update_user", {"input": {"fullName": "Tab\tbed\u0000"}}, "admin_a", "fullName"),
        ("update_user", {"input": {"locale": "klingon"}}, "admin_a", "locale"),
        ("update_user", {"input": {"role": "CHANNEL_MANAGER"}}, "admin_a", "role"),
        ("create_customer", {"name": LONG}, "user_a", "name"),
        ("create_customer", {"name": "  "}, "user_a", "name"),
        ("create_customer", {"name": "Null\u0000Corp"}, "user_a", "name"),
        (
            "create_customer",
            {
                "name": "Newco",
                "contacts": [{"role": "PRIMARY", "email": "a@newco.test", "fullName": LONG}],
            },
            "user_a",
            "contacts[0].fullName",
        ),
        (
            "create_customer",
            {
                "name": "Newco",
                "contacts": [
                    {"role": "PRIMARY", "email": "a@newco.test"},
                    {"role": "PRIMARY", "email": "b@newco.test"},
                ],
            },
            "user_a",
            "contacts[1].role",
        ),
        ("save_group", {"input": {"name": LONG}}, "vendor_admin", "name"),
        (
            "save_group",
            {"input": {"name": "Ok", "description": "x" * 2001}},
            "vendor_admin",
            "description",
        ),
        ("save_group", {"input": {"name": "Nul\u0000"}}, "vendor_admin", "name"),
    ],
)
async def test_invalid_field_values_are_typed_errors(
    gql: GraphQLClient,
    world_with_settings: World,
    operation: str,
    variables: dict[str, Any],
    token_name: str,
    bad_field: str,
):
    w = world_with_settings
    query, variables = {
        "create_partner": (CREATE_PARTNER, {"admin": {"email": "admin@gamma.test"}, **variables}),
        "update_partner": (UPDATE_PARTNER, {"id": gid("Partner", w.partner_a.id), **variables}),
        "create_user": (CREATE_USER, variables),
        "update_user": (UPDATE_USER, {"id": gid("User", w.user_a.id), **variables}),
        "create_customer": (CREATE_CUSTOMER, variables),
        "save_group": (SAVE_GROUP, variables),
    }[operation]
    errors = await refused(gql, query, variables, w.token(token_name))
    assert bad_field in [e["field"] for e in errors], errors
    assert {e["code"] for e in errors} == {"INVALID"}


@pytest.mark.parametrize("search", ["a\u0000b", "\u0000"])
async def test_control_characters_in_a_search_are_a_clear_error(
    gql: GraphQLClient, world_with_settings: World, search: str
):
    token = world_with_settings.token("vendor_admin")
    for field in ("partners", "users", "customers"):
        query = f"query($s: String) {{ {field}(search: $s) {{ edges {{ node {{ id }} }} }} }}"
        error = await graphql_error(gql, query, {"s": search}, token)
        assert error["extensions"]["code"] == "INVALID"


async def test_a_login_with_control_characters_is_just_a_failed_login(
    gql: GraphQLClient, world_with_settings: World
):
    data = await gql.data(
        'mutation($e: String!) { login(email: $e, password: "whatever it is") { ' + RESULT + " } }",
        {"e": "admin@alpha.test\u0000"},
    )
    assert [e["code"] for e in payload_errors(data)] == ["INVALID_CREDENTIALS"]


# ---- query size limits -----------------------------------------------------------------------


def deep_query(depth: int) -> str:
    """`{ users { edges { node { partner { users { partner ... { id } } } } } } }` with the `id`
    leaf `depth` levels below the root field (the depth limiter counts the root field as 0)."""
    fields = ["users", "edges", "node"]
    while len(fields) < depth:
        fields.append("partner" if fields[-1] in ("node", "users") else "users")
    query = "id"
    for field in reversed(fields[:depth]):
        query = f"{field} {{ {query} }}"
    return "{ " + query + " }"


async def test_query_depth_is_limited(gql: GraphQLClient, world_with_settings: World):
    token = world_with_settings.token("vendor_admin")
    at_limit = deep_query(MAX_QUERY_DEPTH)
    assert (await gql.data(at_limit, token=token))["users"]["edges"]
    error = await graphql_error(gql, deep_query(MAX_QUERY_DEPTH + 1), None, token)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert f"maximum operation depth of {MAX_QUERY_DEPTH}" in error["message"]


async def test_a_too_deep_mutation_writes_nothing(gql: GraphQLClient, world_with_settings: World):
    selection = "id"
    for _ in range(6):
        selection = f"partner {{ customers {{ {selection} }} }}"
    query = f'mutation {{ createCustomer(name: "Deep") {{ ... on Customer {{ {selection} }} }} }}'
    error = await graphql_error(gql, query, None, world_with_settings.token("user_a"))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert not await Customer.exists(name="Deep")


async def test_aliases_are_limited(gql: GraphQLClient, world_with_settings: World):
    token = world_with_settings.token("user_a")
    allowed = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(MAX_ALIASES)) + " }"
    assert len(await gql.data(allowed, token=token)) == MAX_ALIASES
    too_many = (
        "mutation { "
        + " ".join(
            f'c{i}: createCustomer(name: "Customer {i}") {{ __typename }}'
            for i in range(MAX_ALIASES + 1)
        )
        + " }"
    )
    error = await graphql_error(gql, too_many, None, token)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert f"Allowed: {MAX_ALIASES}" in error["message"]
    assert await Customer.all().count() == 0


def token_count(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


async def test_tokens_are_limited(gql: GraphQLClient, world_with_settings: World):
    w = world_with_settings
    token = w.token("vendor_admin")
    group = await PartnerGroup.create(name="Static", kind=GroupKind.STATIC)

    def add_partner_repeatedly(times: int) -> str:
        ids = f' "{gid("Partner", w.partner_a.id)}"' * times
        return (
            f'mutation {{ addPartnersToGroup(groupId: "{gid("PartnerGroup", group.id)}", '
            f"partnerIds: [{ids}]) "
            "{ __typename } }"
        )

    fixed_part = token_count(add_partner_repeatedly(0))
    fits = add_partner_repeatedly(MAX_TOKENS - fixed_part)
    too_many = add_partner_repeatedly(MAX_TOKENS - fixed_part + 1)
    assert (token_count(fits), token_count(too_many)) == (MAX_TOKENS, MAX_TOKENS + 1)

    error = await graphql_error(gql, too_many, None, token)
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert f"more than {MAX_TOKENS} tokens" in error["message"]
    assert not await PartnerGroupMember.exists(group_id=group.id)
    data = await gql.data(fits, token=token)
    assert data["addPartnersToGroup"]["__typename"] == "PartnerGroup"
    assert await PartnerGroupMember.filter(group_id=group.id).count() == 1


def repeated(field_chain: list[str], times: int) -> str:
    """`{ me { partner { id } partner { id } ... } me { ... } ... }`: each field `times` times."""
    inner = "id"
    for field in reversed(field_chain):
        inner = " ".join([f"{field} {{ {inner} }}"] * times)
    return "{ " + inner + " }"


@pytest.mark.parametrize(
    ("query", "path"),
    [
        (repeated(["me"], MAX_FIELD_REPEATS + 1), "me"),
        (repeated(["me"], 1249), "me"),
        (repeated(["me", "partner"], 6), "me.partner"),
        (repeated(["me", "partner", "users"], 4), "me.partner.users"),
        (
            "query { ...A ...B } fragment A on Query { "
            + " ".join(["me { id }"] * 16)
            + " } fragment B on Query { ... on Query { "
            + " ".join(["me { email }"] * 16)
            + " } }",
            "me",
        ),
    ],
    ids=["31-times", "1249-times", "6x6-nested", "4x4x4-nested", "through-fragments"],
)
async def test_fields_repeated_into_a_costly_validation_are_refused_first(
    gql: GraphQLClient, world_with_settings: World, query: str, path: str
):
    # Such documents fit in the token limit, yet GraphQL's check that repeated fields can be
    # merged compares every pair of them, recursively: seconds of CPU, even for an anonymous
    # caller. They are refused before validation.
    for token in (world_with_settings.token("user_a"), ""):
        error = await graphql_error(gql, query, None, token)
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert error["message"] == (
            f"The field {path} is selected more than {MAX_FIELD_REPEATS} times: "
            "select each field once."
        )


async def test_a_field_repeated_up_to_the_limit_still_works(
    gql: GraphQLClient, world_with_settings: World
):
    token = world_with_settings.token("user_a")
    data = await gql.data(repeated(["me", "partner"], 5), token=token)  # 25 per path
    assert data["me"]["partner"]["id"] == gid("Partner", world_with_settings.partner_a.id)
    data = await gql.data(repeated(["me"], MAX_FIELD_REPEATS), token=token)
    assert data["me"]["id"] == gid("User", world_with_settings.user_a.id)


async def test_fragments_that_multiply_are_refused(gql: GraphQLClient, world_with_settings: World):
    bomb = (
        "query { ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on Query { me { id } }"
    )
    error = await graphql_error(gql, bomb, None, world_with_settings.token("user_a"))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# ---- request size and transport --------------------------------------------------------------


async def test_a_huge_request_body_is_refused_with_413_and_writes_nothing(
    http: httpx.AsyncClient, world_with_settings: World, settings: Settings
):
    w = world_with_settings
    headers = {"authorization": f"Bearer {w.token('user_a')}", "content-type": "application/json"}
    body = json.dumps(
        {
            "query": "mutation($n: String!) { createCustomer(name: $n) { __typename } }",
            "variables": {"n": "x" * (settings.max_request_bytes + 1)},
        }
    ).encode()
    before = await database_state()
    declared = await http.post("/graphql", content=body, headers=headers)
    assert declared.status_code == 413
    assert str(settings.max_request_bytes) in declared.json()["errors"][0]["message"]
    assert declared.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"

    async def chunks():  # no Content-Length: the limit is enforced on the bytes received
        for start in range(0, len(body), 16384):
            yield body[start : start + 16384]

    streamed = await http.post("/graphql", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert await database_state() == before


async def test_mutations_over_get_are_refused(http: httpx.AsyncClient, world_with_settings: World):
    w = world_with_settings
    headers = {"authorization": f"Bearer {w.token('user_a')}"}
    before = await database_state()
    for query in (
        'mutation { createCustomer(name: "Via GET") { __typename } }',
        "mutation { logout { __typename } }",
    ):
        response = await http.get("/graphql", params={"query": query}, headers=headers)
        assert response.status_code in (400, 405), response.text
        assert "GET" in response.text
    assert await database_state() == before
    # The session survived the refused logout, and queries over GET work.
    response = await http.get("/graphql", params={"query": "{ me { email } }"}, headers=headers)
    assert response.json() == {"data": {"me": {"email": "user@alpha.test"}}}


# ---- pagination arguments --------------------------------------------------------------------


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "after", ["zzz", "", "!!!", cursor_of("user:5"), cursor_of("id:abc"), cursor_of("id:")]
)
async def test_invalid_cursors_are_refused(
    gql: GraphQLClient, world_with_settings: World, after: str
):
    token = world_with_settings.token("vendor_admin")
    for field in ("partners", "users", "customers", "partnerGroups"):
        query = f"query($a: String) {{ {field}(after: $a) {{ edges {{ node {{ id }} }} }} }}"
        error = await graphql_error(gql, query, {"a": after}, token)
        assert error["extensions"]["code"] == "INVALID"
        assert error["message"] == "This cursor is not valid."


@pytest.mark.parametrize("first", [0, -1, 101, 2**31 - 1])
async def test_page_size_out_of_range_is_refused(
    gql: GraphQLClient, world_with_settings: World, first: int
):
    token = world_with_settings.token("vendor_admin")
    for field in ("partners", "users", "customers", "partnerGroups"):
        query = f"query($f: Int) {{ {field}(first: $f) {{ edges {{ node {{ id }} }} }} }}"
        error = await graphql_error(gql, query, {"f": first}, token)
        assert error["extensions"]["code"] == "INVALID"
        assert "between 1 and 100" in error["message"]


async def test_valid_cursors_page_through_a_list(gql: GraphQLClient, world_with_settings: World):
    token = world_with_settings.token("vendor_admin")
    query = """query($a: String) { users(first: 4, after: $a) {
        edges { node { email } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql.data(query, token=token))["users"]
    assert len(first["edges"]) == 4
    assert first["pageInfo"]["hasNextPage"]
    second = (await gql.data(query, {"a": first["pageInfo"]["endCursor"]}, token=token))["users"]
    assert len(second["edges"]) == 2
    assert not second["pageInfo"]["hasNextPage"]
    emails = [e["node"]["email"] for e in first["edges"] + second["edges"]]
    assert len(set(emails)) == 6


# ---- unexpected errors are masked ------------------------------------------------------------


async def test_unexpected_errors_are_masked(gql: GraphQLClient, world_with_settings: World):
    # A rule damaged outside the API (a hand edit in the database) makes reading it fail in a
    # way no resolver expects: the caller learns nothing about the internals.
    group = await PartnerGroup.create(
        name="Damaged", kind=GroupKind.DYNAMIC, rule=[{"field": "tier", "bogus": ["gold"]}]
    )
    body = await gql.request(
        "query($id: ID!) { partnerGroup(id: $id) { name rule { field operator values } } }",
        {"id": gid("PartnerGroup", group.id)},
        token=world_with_settings.token("vendor_admin"),
    )
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "bogus" not in json.dumps(body)
    assert "TypeError" not in json.dumps(body)
