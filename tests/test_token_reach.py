"""What a token reaches: the login payload reads like `me`, and a switch-account (act-as) token
reaches exactly its one customer's domain, in every root field and every nested field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)
from tortoise import Tortoise

from models.accounts import SwitchAccountAudit
from models.audit import AuditEntry
from models.enums import CustomerStatus
from models.users import AuthSession, LoginFailure, SalesRep
from schema.schema import schema
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import TEST_PASSWORD, GraphQLClient, World, gid

# Every User field and everything under it, as far as `me` and the login payload reach.
USER_TREE = """
  id email fullName role locale isActive isSalesRep isDefaultLeadRecipient
  isSupplierDefaultLeadOwner supplierEmailsOptIn createdAt
  partner {
    id name status tier country createdAt
    invoicing { id companyName vatNumber address email }
    groups { totalCount nodes { id name kind } }
    users { totalCount nodes { id email role partner { id name } } }
    salesReps { totalCount nodes { id fullName email isDefaultLeadRecipient createdAt } }
    customers {
      totalCount
      nodes {
        id name status mainFramework frameworkProgress daysLeftInTrial
        partner { id name users { nodes { email } } }
        contacts { id role fullName email }
      }
    }
  }
"""

LOGIN = (
    """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on LoginSuccess { token user { """
    + USER_TREE
    + """ } }
    ... on OperationErrors { errors { code message } }
  }
}"""
)


async def _business_of_alpha(world: World) -> None:
    now = fixed_now()
    await make_customer(world.partner_a, "Alpha Customer", now)
    await SalesRep.create(partner=world.partner_a, full_name="Rep", email="rep@alpha.test")


async def test_login_payload_reads_every_nested_field_like_me(gql: GraphQLClient, world: World):
    await _business_of_alpha(world)
    for email in ("admin@alpha.test", "user@alpha.test", "admin@vendor.test"):
        body = await gql.request(LOGIN, {"email": email, "password": TEST_PASSWORD})
        assert "errors" not in body, body
        login = body["data"]["login"]
        assert login["__typename"] == "LoginSuccess"
        me = await gql.data("{ me { " + USER_TREE + " } }", token=login["token"])
        assert login["user"] == me["me"]
    partner = login["user"]["partner"]
    assert partner is None  # the vendor admin, last
    body = await gql.request(LOGIN, {"email": "user@alpha.test", "password": TEST_PASSWORD})
    partner = body["data"]["login"]["user"]["partner"]
    assert partner["name"] == "Alpha Partners"
    assert [c["name"] for c in partner["customers"]["nodes"]] == ["Alpha Customer"]
    assert [r["email"] for r in partner["salesReps"]["nodes"]] == ["rep@alpha.test"]


async def test_login_payload_alone_is_read_as_the_new_user(gql: GraphQLClient, world: World):
    """The rest of a request that logs in stays anonymous: only the payload is the new user's."""
    document = """
    mutation($email: String!, $password: String!) {
      login(email: $email, password: $password) {
        ... on LoginSuccess { user { email partner { name } } }
      }
      logout { __typename }
    }"""
    body = await gql.request(document, {"email": "user@alpha.test", "password": TEST_PASSWORD})
    # logout is refused (its non-null payload nulls `data`), the login's payload was not.
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["logout"], "UNAUTHENTICATED")
    ]
    # The session the login opened is still valid: the anonymous logout did not reach it.
    assert await AuthSession.filter(user_id=world.user_a.id, revoked_at=None).count() == 2


# ---- the act-as token ---------------------------------------------------------------------

SWITCH = """
mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token }
  ... on OperationErrors { errors { code } }
} }"""

# The one customer's domain: every other root field refuses an act-as token.
ACT_AS_QUERIES = {
    "node",  # node(id) of the act-as customer's own records (each type checks its own reach)
    "nodes",
    "me",
    "customers",
    "customer",
    "customerOverview",
    "customerActivities",
    "customerAttentionItems",
    "customerAccountUsers",
    "actingCustomer",
    "deals",
    "deal",
    "commissions",
    "upcomingRenewals",
    "customerRenewalOwner",
}
ACT_AS_MUTATIONS = {
    "addCustomerAccountUser",
    "removeCustomerAccountUser",
    "registerDeal",
    "updateDeal",
    "markDealLost",
    "addDealNote",
    "convertTrialToPaid",
    "setCustomerRenewalOwner",
}
# Reached without any token (and so with any): they never use the caller's session.
PUBLIC_MUTATIONS = {"login", "acceptInvitation"}
SCALAR_LITERALS = {
    "String": '"x"',
    "Int": "1",
    "Float": "1.0",
    "Boolean": "false",
    "Decimal": '"1"',
    "Date": '"2031-01-01"',
    "DateTime": '"2031-01-01T00:00:00+00:00"',
    "JSON": '"{}"',
}
REFUSALS = {"FORBIDDEN", "UNAUTHENTICATED"}


def _literal(input_type: GraphQLInputType, id_value: str) -> str:
    """A valid literal of an input type: required input fields filled, ids set to `id_value`."""
    if isinstance(input_type, GraphQLNonNull):
        return _literal(input_type.of_type, id_value)
    if isinstance(input_type, GraphQLList):
        return f"[{_literal(input_type.of_type, id_value)}]"
    if isinstance(input_type, GraphQLEnumType):
        return next(iter(input_type.values))
    if isinstance(input_type, GraphQLInputObjectType):
        fields = [
            f"{name}: {_literal(field.type, id_value)}"
            for name, field in input_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        ]
        return "{" + ", ".join(fields) + "}"
    assert isinstance(input_type, GraphQLScalarType)
    return f'"{id_value}"' if input_type.name == "ID" else SCALAR_LITERALS[input_type.name]


def _call(name: str, field: GraphQLField, id_value: str) -> str:
    """`name(required args) { __typename }`: the smallest valid call of a root field."""
    arguments = [
        f"{arg_name}: {_literal(arg.type, id_value)}"
        for arg_name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    ]
    call = name + (f"({', '.join(arguments)})" if arguments else "")
    named = get_named_type(field.type)
    if isinstance(named, GraphQLObjectType | GraphQLUnionType | GraphQLInterfaceType):
        if isinstance(named, GraphQLUnionType):
            return call + " { __typename ... on OperationErrors { errors { code } } }"
        return call + " { __typename }"
    return call


def _mutation(name: str, field: GraphQLField, id_value: str) -> str:
    return "mutation { " + _call(name, field, id_value) + " }"


def _refused(body: dict[str, Any], name: str) -> bool:
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    assert "INTERNAL_SERVER_ERROR" not in codes, body
    assert None not in codes, body
    payload = (body.get("data") or {}).get(name)
    if isinstance(payload, dict) and payload.get("__typename") == "OperationErrors":
        codes |= {e["code"] for e in payload["errors"]}
    return bool(codes & REFUSALS)


async def _every_row() -> dict[str, list[dict[str, Any]]]:
    # Refusals are recorded on purpose: in the audit log and the switch-account audit.
    audit_tables = {SwitchAccountAudit, AuthSession, LoginFailure, AuditEntry}
    return {
        f"{label}.{name}": await model.all().order_by(model._meta.pk_attr).values()
        for label, models in Tortoise.apps.items()
        for name, model in models.items()
        if model not in audit_tables
    }


async def _act_as(gql: GraphQLClient, world: World) -> tuple[GraphQLClient, str]:
    mine = await make_customer(
        world.partner_a,
        "Mine",
        fixed_now(),
        status=CustomerStatus.ACTIVE,
        trial_ends_in=None,
        renewal_in=timedelta(days=30),
    )
    await make_customer(world.partner_a, "Other Mine", fixed_now())
    granted = await gql.data(SWITCH, {"id": gid("Customer", mine.id)}, token=world.token("admin_a"))
    return gql.as_user(granted["switchAccount"]["token"]), gid("Customer", mine.id)


async def test_act_as_token_reaches_exactly_its_customers_root_fields(
    gql: GraphQLClient, world: World
):
    acting, customer_id = await _act_as(gql, world)
    graphql_schema = schema._schema
    assert graphql_schema.query_type is not None
    assert graphql_schema.mutation_type is not None
    reached: set[str] = set()
    before = await _every_row()
    refused_mutations = []
    for name, field in graphql_schema.query_type.fields.items():
        body = await acting.request("{ " + _call(name, field, customer_id) + " }")
        if not _refused(body, name):
            reached.add(name)
    mutations = graphql_schema.mutation_type.fields
    allowed_or_public = ACT_AS_MUTATIONS | PUBLIC_MUTATIONS | {"logout"}
    for name in sorted(set(mutations) - allowed_or_public):
        body = await acting.request(_mutation(name, mutations[name], customer_id))
        if _refused(body, name):
            refused_mutations.append(name)
        else:
            reached.add(name)
    # Nothing the refused calls could have touched has changed.
    assert await _every_row() == before
    for name in sorted(ACT_AS_MUTATIONS | PUBLIC_MUTATIONS):
        body = await acting.request(_mutation(name, mutations[name], customer_id))
        if not _refused(body, name):
            reached.add(name)
    assert sorted(reached - (ACT_AS_QUERIES | ACT_AS_MUTATIONS | PUBLIC_MUTATIONS)) == []
    assert reached == ACT_AS_QUERIES | ACT_AS_MUTATIONS | PUBLIC_MUTATIONS
    assert "createCustomer" in refused_mutations
    logout = await acting.data("mutation { logout { __typename } }")
    assert logout["logout"]["__typename"] == "Done"


ME_AND_BELOW = "{ me { " + USER_TREE + " } }"


async def test_act_as_token_reaches_no_partner_data_below_its_fields(
    gql: GraphQLClient, world: World
):
    await _business_of_alpha(world)
    acting, customer_id = await _act_as(gql, world)
    await acting.data(
        """mutation($id: ID!, $contact: ID!) {
          setCustomerRenewalOwner(customerId: $id, owner: PARTNER, contactUserId: $contact) {
            __typename }
          registerDeal(customerId: $id, product: "Suite", amount: "100") { __typename }
        }""",
        {"id": customer_id, "contact": gid("User", world.user_a.id)},
    )
    body = await acting.request(ME_AND_BELOW)
    assert body["data"]["me"]["email"] == "admin@alpha.test"
    assert body["data"]["me"]["partner"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["me", "partner"], "FORBIDDEN")
    ]
    partner_below = (
        "partner { name invoicing { email } users { nodes { email } } "
        "salesReps { nodes { email } } groups { nodes { name } } }"
    )
    for document in (
        "{ customers { nodes { PARTNER } } }",
        "query($id: ID!) { customerRenewalOwner(customerId: $id) { contact { PARTNER } } }",
        "{ upcomingRenewals(days: 366) { nodes { partnerContact { PARTNER } } } }",
        "{ deals { nodes { customer { PARTNER } } } }",
    ):
        document = document.replace("PARTNER", partner_below)
        body = await acting.request(document, {"id": customer_id})
        assert "partner" in str(body["data"]), (document, body)  # the rows are there
        assert "Alpha Partners" not in str(body["data"]), (document, body)
        assert "rep@alpha.test" not in str(body["data"]), (document, body)
        assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"FORBIDDEN"}, body
