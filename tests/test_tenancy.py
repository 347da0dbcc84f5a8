"""Tenancy: who can read, list, reach through nested fields and change each object of the core.

Roles: vendor admin, channel manager (assigned to partner A only), partner admin and partner user of
A and of B, and an anonymous caller. Objects: partners, partner groups, users, customers and their
contacts. Everything goes through the real GraphQL endpoint; refused mutations are checked against
every row of the core tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from models.customers import Customer, CustomerContact
from models.enums import ContactRole, GroupKind, PartnerTier, Role
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from models.users import ChannelManagerAssignment, User
from services.vendor.service import get_vendor_settings
from tests.conftest import GraphQLClient, World, gid, make_user, token_for
from tests.database_state import database_state

ROLES = ("vendor_admin", "manager", "admin_a", "user_a", "admin_b", "user_b")
PARTNER_ROLES = ("admin_a", "user_a", "admin_b", "user_b")
MISSING_PK = 987654
# The GraphQL type of each kind of object, for its global id.
TYPE_OF_KIND = {
    "partner": "Partner",
    "user": "User",
    "customer": "Customer",
    "group": "PartnerGroup",
}


def missing_id(kind: str) -> str:
    """The global id of an object of this kind that does not exist."""
    return gid(TYPE_OF_KIND[kind], MISSING_PK)


# Symbolic object -> (kind, the label the API shows for it: a name or an email).
OBJECTS: dict[str, tuple[str, str]] = {
    "partner_a": ("partner", "Alpha Partners"),
    "partner_b": ("partner", "Beta Partners"),
    "vendor_admin": ("user", "admin@vendor.test"),
    "manager": ("user", "manager@vendor.test"),
    "admin_a": ("user", "admin@alpha.test"),
    "user_a": ("user", "user@alpha.test"),
    "admin_b": ("user", "admin@beta.test"),
    "user_b": ("user", "user@beta.test"),
    "customer_a": ("customer", "Acme Corp"),
    "customer_b": ("customer", "Bolt Industries"),
    "static_group": ("group", "Benelux resellers"),
    "dynamic_group": ("group", "Gold partners"),
    "empty_group": ("group", "Newcomers"),
}
CONTACTS = {
    "customer_a": {"primary@acme.test", "billing@acme.test"},
    "customer_b": {"primary@bolt.test"},
}
GROUPS = {"static_group", "dynamic_group", "empty_group"}

# What each role may read by id (and, for groups, list). Groups are vendor-only segmentation.
READABLE: dict[str, set[str]] = {
    "vendor_admin": set(OBJECTS),
    "manager": {"partner_a", "manager", "admin_a", "user_a", "customer_a"} | GROUPS,
    "admin_a": {"partner_a", "admin_a", "user_a", "customer_a"},
    "user_a": {"partner_a", "admin_a", "user_a", "customer_a"},
    "admin_b": {"partner_b", "admin_b", "user_b", "customer_b"},
    "user_b": {"partner_b", "admin_b", "user_b", "customer_b"},
}

BY_ID = {
    "partner": "query($id: ID!) { partner(id: $id) { id name } }",
    "user": "query($id: ID!) { user(id: $id) { id email } }",
    "customer": "query($id: ID!) { customer(id: $id) { id name contacts { email } } }",
    "group": "query($id: ID!) { partnerGroup(id: $id) { id name } }",
}
ROOT_FIELD = {"partner": "partner", "user": "user", "customer": "customer", "group": "partnerGroup"}


@dataclass
class Tenancy:
    world: World
    ids: dict[str, int]

    def token(self, role: str) -> str | None:
        return None if role == "anonymous" else self.world.token(role)

    def id(self, name: str) -> str:
        return gid(TYPE_OF_KIND[OBJECTS[name][0]], self.ids[name])


@pytest.fixture
async def tenancy(world: World) -> Tenancy:
    await get_vendor_settings()
    customer_a = await Customer.create(partner=world.partner_a, name="Acme Corp")
    customer_b = await Customer.create(partner=world.partner_b, name="Bolt Industries")
    await CustomerContact.create(
        customer=customer_a, role=ContactRole.PRIMARY, email="primary@acme.test"
    )
    await CustomerContact.create(
        customer=customer_a, role=ContactRole.BILLING, email="billing@acme.test"
    )
    await CustomerContact.create(
        customer=customer_b, role=ContactRole.PRIMARY, email="primary@bolt.test"
    )
    static = await PartnerGroup.create(name="Benelux resellers", kind=GroupKind.STATIC)
    await PartnerGroupMember.create(group=static, partner=world.partner_a)
    await PartnerGroupMember.create(group=static, partner=world.partner_b)
    dynamic = await PartnerGroup.create(
        name="Gold partners",
        kind=GroupKind.DYNAMIC,
        rule=[{"field": "tier", "operator": "in", "values": ["gold"]}],
    )
    empty = await PartnerGroup.create(name="Newcomers", kind=GroupKind.STATIC)
    ids = {
        "partner_a": world.partner_a.id,
        "partner_b": world.partner_b.id,
        "customer_a": customer_a.id,
        "customer_b": customer_b.id,
        "static_group": static.id,
        "dynamic_group": dynamic.id,
        "empty_group": empty.id,
    }
    for role in ROLES:
        ids[role] = getattr(world, role).id
    return Tenancy(world=world, ids=ids)


def labels(names: set[str]) -> set[str]:
    return {OBJECTS[name][1] for name in names}


def collect_labels(value: Any) -> set[str]:
    """Every `name` and `email` anywhere in a GraphQL response."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("name", "email") and isinstance(item, str):
                found.add(item)
            else:
                found |= collect_labels(item)
    elif isinstance(value, list):
        for item in value:
            found |= collect_labels(item)
    return found


def error_code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


def _answered(body: dict[str, Any]) -> bool:
    """Whether the response carries data (a nullable single-object field may be null)."""
    return any(value is not None for value in (body.get("data") or {}).values())


# ---- reading by id ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_read_by_id_shows_own_objects_and_hides_others_exactly_like_missing_ones(
    gql: GraphQLClient, tenancy: Tenancy, role: str
):
    token = tenancy.token(role)
    readable: set[str] = set()
    for name, (kind, label) in OBJECTS.items():
        if kind == "group" and role in PARTNER_ROLES:
            continue  # role-level refusal, checked below
        body = await gql.request(BY_ID[kind], {"id": tenancy.id(name)}, token=token)
        if _answered(body):
            node = body["data"][ROOT_FIELD[kind]]
            assert node["id"] == tenancy.id(name)
            assert label in (node.get("name"), node.get("email"))
            readable.add(name)
            continue
        # A foreign object gets the same answer as a missing id; a malformed id is INVALID.
        missing = await gql.request(BY_ID[kind], {"id": missing_id(kind)}, token=token)
        malformed = await gql.request(BY_ID[kind], {"id": "not-a-number"}, token=token)
        assert body == missing, (name, body, missing)
        assert not _answered(body)  # null data, or null for a nullable single-object field
        assert error_code(body) == "NOT_FOUND"
        assert error_code(malformed) == "INVALID"
    assert readable == {n for n in READABLE[role] if not (role in PARTNER_ROLES and n in GROUPS)}


@pytest.mark.parametrize("role", PARTNER_ROLES)
async def test_partners_cannot_read_partner_groups_at_all(
    gql: GraphQLClient, tenancy: Tenancy, role: str
):
    token = tenancy.token(role)
    own_partner = "partner_a" if role.endswith("_a") else "partner_b"
    for query, variables in (
        (BY_ID["group"], {"id": tenancy.id("static_group")}),
        (BY_ID["group"], {"id": missing_id("group")}),
        ("{ partnerGroups { edges { node { name } } } }", {}),
        (
            "query($id: ID!) { partner(id: $id) { groups { name } } }",
            {"id": tenancy.id(own_partner)},
        ),
        ("{ me { partner { groups { name members { name } } } } }", {}),
    ):
        body = await gql.request(query, variables, token=token)
        assert error_code(body) == "FORBIDDEN", query
        assert not collect_labels(body) & labels(GROUPS)


# ---- lists -----------------------------------------------------------------------------------


LISTS = """
query($partner: ID, $search: String) {
  partners(first: 100, search: $search) { edges { node { name } } }
  users(first: 100, partnerId: $partner) { edges { node { email } } }
  customers(first: 100, partnerId: $partner) { edges { node { name } } }
}"""


def _of_kind(names: set[str], kind: str) -> set[str]:
    return {n for n in names if OBJECTS[n][0] == kind}


@pytest.mark.parametrize("role", ROLES)
async def test_lists_never_contain_foreign_rows(gql: GraphQLClient, tenancy: Tenancy, role: str):
    token = tenancy.token(role)
    data = await gql.data(LISTS, token=token)
    listed_partners = {e["node"]["name"] for e in data["partners"]["edges"]}
    listed_users = {e["node"]["email"] for e in data["users"]["edges"]}
    listed_customers = {e["node"]["name"] for e in data["customers"]["edges"]}
    visible = READABLE[role]
    assert listed_partners == labels(_of_kind(visible, "partner"))
    assert listed_customers == labels(_of_kind(visible, "customer"))
    # The user list holds partner users the viewer may see, and all users for vendor admins.
    expected_users = _of_kind(visible, "user")
    if role == "manager":
        expected_users -= {"manager"}
    assert listed_users == labels(expected_users)

    # Filtering by a partner the viewer may not see gives the same empty lists as a missing one.
    missing = await gql.data(LISTS, {"partner": missing_id("partner")}, token=token)
    assert missing["users"]["edges"] == missing["customers"]["edges"] == []
    for partner in ("partner_a", "partner_b"):
        filtered = await gql.data(LISTS, {"partner": tenancy.id(partner)}, token=token)
        if partner in visible:
            assert filtered["customers"]["edges"]
        else:
            assert filtered["users"] == missing["users"]
            assert filtered["customers"] == missing["customers"]
    # Searching for another partner's name finds nothing.
    foreign = "Beta" if role in ("vendor_admin", "manager", "admin_a", "user_a") else "Alpha"
    searched = await gql.data(LISTS, {"search": foreign}, token=token)
    found = [e["node"]["name"] for e in searched["partners"]["edges"]]
    assert found == (["Beta Partners"] if role == "vendor_admin" else [])


@pytest.mark.parametrize("role", ["vendor_admin", "manager"])
async def test_vendor_staff_list_every_group_but_only_the_members_they_may_see(
    gql: GraphQLClient, tenancy: Tenancy, role: str
):
    data = await gql.data(
        "{ partnerGroups(first: 100) { edges { node { name members { name } } } } }",
        token=tenancy.token(role),
    )
    members = {
        e["node"]["name"]: {m["name"] for m in e["node"]["members"]}
        for e in data["partnerGroups"]["edges"]
    }
    if role == "vendor_admin":
        assert members == {
            "Benelux resellers": {"Alpha Partners", "Beta Partners"},
            "Gold partners": {"Beta Partners"},
            "Newcomers": set(),
        }
    else:
        assert members == {
            "Benelux resellers": {"Alpha Partners"},
            "Gold partners": set(),
            "Newcomers": set(),
        }


# ---- nested fields ---------------------------------------------------------------------------


REACH = """
{
  me { email partner { name users { email partner { name } }
       customers { name contacts { email } partner { name } } } }
  partners(first: 100) { edges { node { name
      users { email partner { name users { email } } }
      customers { name contacts { email } partner { name customers { name } } } } } }
  users(first: 100) { edges { node { email
      partner { name users { email } customers { name contacts { email } } } } } }
  customers(first: 100) { edges { node { name contacts { email }
      partner { name users { email } customers { name } } } } }
}"""

STAFF_REACH = """
{
  partnerGroups(first: 100) { edges { node { name members { name
      users { email partner { name } } customers { name contacts { email } }
      groups { name members { name users { email } } } } } } }
  partners(first: 100) { edges { node { name groups { name members { name
      customers { name partner { name } } } } } } }
}"""


def reachable_labels(role: str) -> set[str]:
    visible = READABLE[role]
    contacts = set().union(*(CONTACTS[c] for c in visible if c in CONTACTS))
    return labels(visible) | contacts


@pytest.mark.parametrize("role", ROLES)
async def test_nested_fields_reach_exactly_what_the_role_may_read(
    gql: GraphQLClient, tenancy: Tenancy, role: str
):
    token = tenancy.token(role)
    reached = collect_labels(await gql.data(REACH, token=token))
    if role in ("vendor_admin", "manager"):
        reached |= collect_labels(await gql.data(STAFF_REACH, token=token))
    assert reached == reachable_labels(role)


@pytest.mark.parametrize("role", ROLES)
async def test_nested_paths_from_one_object(gql: GraphQLClient, tenancy: Tenancy, role: str):
    """`user { partner { users } }` and `customer { partner { customers } }` stay in the org."""
    token = tenancy.token(role)
    visible = READABLE[role]
    for name in ("admin_a", "user_b"):
        if name not in visible:
            continue
        org = "a" if name.endswith("_a") else "b"
        data = await gql.data(
            "query($id: ID!) { user(id: $id) { partner { name users { email } "
            "customers { name contacts { email } } } } }",
            {"id": tenancy.id(name)},
            token=token,
        )
        partner = data["user"]["partner"]
        assert partner["name"] == OBJECTS[f"partner_{org}"][1]
        assert {u["email"] for u in partner["users"]} == labels({f"admin_{org}", f"user_{org}"})
        assert [c["name"] for c in partner["customers"]] == [OBJECTS[f"customer_{org}"][1]]
        assert {c["email"] for c in partner["customers"][0]["contacts"]} == CONTACTS[
            f"customer_{org}"
        ]
    for name in ("customer_a", "customer_b"):
        if name not in visible:
            continue
        data = await gql.data(
            "query($id: ID!) { customer(id: $id) { partner { customers { name } "
            "users { email } } } }",
            {"id": tenancy.id(name)},
            token=token,
        )
        assert [c["name"] for c in data["customer"]["partner"]["customers"]] == [OBJECTS[name][1]]


async def test_channel_manager_reaches_groups_only_through_assigned_partners(
    gql: GraphQLClient, tenancy: Tenancy
):
    token = tenancy.token("manager")
    data = await gql.data(
        "query($id: ID!) { partner(id: $id) { groups { name members { name users { email } } } } "
        "partnerGroup(id: $group) { members { name } } }".replace(
            "$id: ID!", "$id: ID!, $group: ID!"
        ),
        {"id": tenancy.id("partner_a"), "group": tenancy.id("dynamic_group")},
        token=token,
    )
    assert data["partner"]["groups"] == [
        {
            "name": "Benelux resellers",
            "members": [
                {
                    "name": "Alpha Partners",
                    "users": [{"email": "admin@alpha.test"}, {"email": "user@alpha.test"}],
                }
            ],
        }
    ]
    assert data["partnerGroup"]["members"] == []  # Beta is gold but not assigned to this manager


async def test_channel_manager_without_assignments_sees_no_partner_data(
    gql: GraphQLClient, tenancy: Tenancy, settings
):
    lonely = await make_user("lonely@vendor.test", Role.CHANNEL_MANAGER)
    token = await token_for(settings, lonely)
    reached = collect_labels(await gql.data(REACH, token=token))
    reached |= collect_labels(await gql.data(STAFF_REACH, token=token))
    assert reached == {"lonely@vendor.test"} | labels(GROUPS)


async def test_assigning_a_partner_to_a_channel_manager_takes_effect_at_once(
    gql: GraphQLClient, tenancy: Tenancy
):
    query = "query($id: ID!) { partner(id: $id) { name } }"
    variables = {"id": tenancy.id("partner_b")}
    refused = await gql.request(query, variables, token=tenancy.token("manager"))
    assert error_code(refused) == "NOT_FOUND"
    await gql.data(
        "mutation($m: ID!, $p: [ID!]!) { setManagedPartners(managerId: $m, partnerIds: $p) "
        "{ __typename } }",
        {"m": tenancy.id("manager"), "p": [tenancy.id("partner_b")]},
        token=tenancy.token("vendor_admin"),
    )
    assert (await gql.data(query, variables, token=tenancy.token("manager")))["partner"] == {
        "name": "Beta Partners"
    }
    gone = await gql.request(query, {"id": tenancy.id("partner_a")}, token=tenancy.token("manager"))
    assert error_code(gone) == "NOT_FOUND"


# ---- unauthenticated -------------------------------------------------------------------------


UNAUTHENTICATED_QUERIES = [
    "{ me { email } }",
    "{ partners { edges { node { name } } } }",
    '{ partner(id: "1") { name } }',
    "{ partnerGroups { edges { node { name } } } }",
    '{ partnerGroup(id: "1") { name } }',
    "{ users { edges { node { email } } } }",
    '{ user(id: "1") { email } }',
    "{ customers { edges { node { name } } } }",
    '{ customer(id: "1") { name } }',
]


@pytest.mark.parametrize("token", [None, "not-a-token", "abc.def"])
async def test_unauthenticated_calls_get_an_error_and_no_data(
    gql: GraphQLClient, http, tenancy: Tenancy, token: str | None
):
    # No token: UNAUTHENTICATED; a token that reaches nobody says so (INVALID_TOKEN).
    expected = "INVALID_TOKEN" if token else "UNAUTHENTICATED"
    for query in UNAUTHENTICATED_QUERIES:
        body = await gql.request(query, token=token or "")
        assert not _answered(body), query
        assert error_code(body) == expected, query
        headers = {"authorization": f"Bearer {token}"} if token else {}
        over_get = await http.get("/graphql", params={"query": query}, headers=headers)
        assert over_get.status_code == 200
        assert not _answered(over_get.json())
        assert over_get.json()["errors"][0]["extensions"]["code"] == expected


# ---- mutations -------------------------------------------------------------------------------


RESULT = "__typename ... on OperationErrors { errors { field code message } }"


@dataclass(frozen=True)
class Operation:
    query: str
    variables: Callable[[Tenancy, str | None], dict[str, Any]]
    done: Callable[[Tenancy, str | None], Awaitable[None]]


async def _created_partner(t: Tenancy, target: str | None) -> None:
    partner = await PartnerOrg.get(name="Gamma Partners")
    assert partner.tier is PartnerTier.GOLD
    admin = await User.get(email="admin@gamma.test")
    assert (admin.partner_id, admin.role) == (partner.id, Role.PARTNER_ADMIN)  # type: ignore[attr-defined]


async def _invoicing_changed(t: Tenancy, target: str | None) -> None:
    assert (await PartnerOrg.get(id=t.ids[target or ""])).invoice_company_name == "Changed BV"


async def _tier_changed(t: Tenancy, target: str | None) -> None:
    assert (await PartnerOrg.get(id=t.ids[target or ""])).tier is PartnerTier.PLATINUM


async def _group_created(t: Tenancy, target: str | None) -> None:
    assert (await PartnerGroup.get(name="Partners of the year")).kind is GroupKind.STATIC


async def _group_renamed(t: Tenancy, target: str | None) -> None:
    assert (await PartnerGroup.get(id=t.ids["static_group"])).name == "Renamed group"


async def _group_deleted(t: Tenancy, target: str | None) -> None:
    assert not await PartnerGroup.filter(id=t.ids["static_group"]).exists()
    assert not await PartnerGroupMember.filter(group_id=t.ids["static_group"]).exists()


async def _member_added(t: Tenancy, target: str | None) -> None:
    members = await PartnerGroupMember.filter(group_id=t.ids["empty_group"]).values_list(
        "partner_id", flat=True
    )
    assert members == [t.ids["partner_a"]]


async def _member_removed(t: Tenancy, target: str | None) -> None:
    members = await PartnerGroupMember.filter(group_id=t.ids["static_group"]).values_list(
        "partner_id", flat=True
    )
    assert members == [t.ids["partner_a"]]


async def _managers_set(t: Tenancy, target: str | None) -> None:
    assigned = await ChannelManagerAssignment.filter(manager_id=t.ids["manager"]).values_list(
        "partner_id", flat=True
    )
    assert sorted(assigned) == sorted([t.ids["partner_a"], t.ids["partner_b"]])


async def _user_created(t: Tenancy, target: str | None) -> None:
    user = await User.get(email="new@example.test")
    assert user.partner_id == t.ids[target or ""]  # type: ignore[attr-defined]
    assert user.role is Role.PARTNER_USER


async def _staff_created(t: Tenancy, target: str | None) -> None:
    user = await User.get(email="staff@vendor.test")
    assert (user.partner_id, user.role) == (None, Role.CHANNEL_MANAGER)  # type: ignore[attr-defined]


async def _user_renamed(t: Tenancy, target: str | None) -> None:
    assert (await User.get(id=t.ids[target or ""])).full_name == "Renamed Person"


async def _user_deactivated(t: Tenancy, target: str | None) -> None:
    assert (await User.get(id=t.ids[target or ""])).is_active is False


async def _customer_created(t: Tenancy, target: str | None) -> None:
    customer = await Customer.get(name="Newco")
    assert customer.partner_id == t.ids[target or ""]  # type: ignore[attr-defined]
    contacts = await CustomerContact.filter(customer_id=customer.id).values_list("email", flat=True)
    assert contacts == ["boss@newco.test"]


def _target_id(t: Tenancy, target: str | None) -> dict[str, Any]:
    return {"id": t.id(target or "")}


OPERATIONS: dict[str, Operation] = {
    "createPartner": Operation(
        f"""mutation {{ createPartner(input: {{name: "Gamma Partners", tier: GOLD}},
              firstAdmin: {{email: "admin@gamma.test"}}) {{ {RESULT} }} }}""",
        lambda t, target: {},
        _created_partner,
    ),
    "updatePartnerInvoicing": Operation(
        f"""mutation($id: ID!) {{ updatePartner(id: $id,
              input: {{invoicing: {{companyName: "Changed BV"}}}}) {{ {RESULT} }} }}""",
        _target_id,
        _invoicing_changed,
    ),
    "updatePartnerTier": Operation(
        f"""mutation($id: ID!) {{ updatePartner(id: $id, input: {{tier: PLATINUM}})
              {{ {RESULT} }} }}""",
        _target_id,
        _tier_changed,
    ),
    "createGroup": Operation(
        f'mutation {{ savePartnerGroup(input: {{name: "Partners of the year"}}) {{ {RESULT} }} }}',
        lambda t, target: {},
        _group_created,
    ),
    "renameGroup": Operation(
        f"""mutation($id: ID!) {{ savePartnerGroup(id: $id, input: {{name: "Renamed group"}})
              {{ {RESULT} }} }}""",
        _target_id,
        _group_renamed,
    ),
    "deleteGroup": Operation(
        f"mutation($id: ID!) {{ deletePartnerGroup(id: $id) {{ {RESULT} }} }}",
        _target_id,
        _group_deleted,
    ),
    "addPartnersToGroup": Operation(
        f"""mutation($group: ID!, $partners: [ID!]!) {{
              addPartnersToGroup(groupId: $group, partnerIds: $partners) {{ {RESULT} }} }}""",
        lambda t, target: {"group": t.id("empty_group"), "partners": [t.id("partner_a")]},
        _member_added,
    ),
    "removePartnersFromGroup": Operation(
        f"""mutation($group: ID!, $partners: [ID!]!) {{
              removePartnersFromGroup(groupId: $group, partnerIds: $partners) {{ {RESULT} }} }}""",
        lambda t, target: {"group": t.id("static_group"), "partners": [t.id("partner_b")]},
        _member_removed,
    ),
    "setManagedPartners": Operation(
        f"""mutation($manager: ID!, $partners: [ID!]!) {{
              setManagedPartners(managerId: $manager, partnerIds: $partners) {{ {RESULT} }} }}""",
        lambda t, target: {
            "manager": t.id("manager"),
            "partners": [t.id("partner_a"), t.id("partner_b")],
        },
        _managers_set,
    ),
    "createUser": Operation(
        f"""mutation($partner: ID) {{ createUser(partnerId: $partner,
              input: {{email: "new@example.test"}}) {{ {RESULT} }} }}""",
        lambda t, target: {"partner": t.id(target) if target else None},
        _user_created,
    ),
    "createVendorStaff": Operation(
        f"""mutation {{ createUser(input: {{email: "staff@vendor.test", role: CHANNEL_MANAGER}})
              {{ {RESULT} }} }}""",
        lambda t, target: {},
        _staff_created,
    ),
    "renameUser": Operation(
        f"""mutation($id: ID!) {{ updateUser(id: $id, input: {{fullName: "Renamed Person"}})
              {{ {RESULT} }} }}""",
        _target_id,
        _user_renamed,
    ),
    "deactivateUser": Operation(
        f"""mutation($id: ID!) {{ updateUser(id: $id, input: {{isActive: false}})
              {{ {RESULT} }} }}""",
        _target_id,
        _user_deactivated,
    ),
    "promoteUserToVendorAdmin": Operation(
        f"""mutation($id: ID!) {{ updateUser(id: $id, input: {{role: VENDOR_ADMIN}})
              {{ {RESULT} }} }}""",
        _target_id,
        _user_renamed,  # never succeeds
    ),
    "createCustomer": Operation(
        f"""mutation($partner: ID) {{ createCustomer(partnerId: $partner, name: "Newco",
              contacts: [{{role: PRIMARY, email: "boss@newco.test"}}]) {{ {RESULT} }} }}""",
        lambda t, target: {"partner": t.id(target) if target else None},
        _customer_created,
    ),
}


@dataclass(frozen=True)
class Case:
    operation: str
    target: str | None
    role: str
    expected: str  # OK, or the error code (GraphQL error or typed payload error)
    # For createUser/createCustomer: the partner the new row lands in when no partnerId is given.
    lands_in: str | None = None


def cases(operation: str, target: str | None = None, **expected_by_role: str) -> list[Case]:
    return [Case(operation, target, role, expected) for role, expected in expected_by_role.items()]


VENDOR_ADMIN_ONLY = {
    "vendor_admin": "OK",
    "manager": "FORBIDDEN",
    "admin_a": "FORBIDDEN",
    "user_a": "FORBIDDEN",
    "admin_b": "FORBIDDEN",
    "user_b": "FORBIDDEN",
    "anonymous": "UNAUTHENTICATED",
}

CASES: list[Case] = [
    *cases("createPartner", **VENDOR_ADMIN_ONLY),
    *cases(
        "updatePartnerInvoicing",
        "partner_a",
        vendor_admin="OK",
        manager="OK",
        admin_a="OK",
        user_a="FORBIDDEN",
        admin_b="NOT_FOUND",
        user_b="NOT_FOUND",
        anonymous="UNAUTHENTICATED",
    ),
    *cases(
        "updatePartnerInvoicing",
        "partner_b",
        vendor_admin="OK",
        manager="NOT_FOUND",
        admin_a="NOT_FOUND",
        user_a="NOT_FOUND",
        admin_b="OK",
        user_b="FORBIDDEN",
    ),
    *cases(
        "updatePartnerTier",
        "partner_a",
        vendor_admin="OK",
        manager="FORBIDDEN",
        admin_a="FORBIDDEN",
        user_a="FORBIDDEN",
        admin_b="NOT_FOUND",
        anonymous="UNAUTHENTICATED",
    ),
    *cases("createGroup", **VENDOR_ADMIN_ONLY),
    *cases("renameGroup", "static_group", **VENDOR_ADMIN_ONLY),
    *cases("deleteGroup", "static_group", **VENDOR_ADMIN_ONLY),
    *cases("addPartnersToGroup", **VENDOR_ADMIN_ONLY),
    *cases("removePartnersFromGroup", **VENDOR_ADMIN_ONLY),
    *cases("setManagedPartners", **VENDOR_ADMIN_ONLY),
    *cases(
        "createUser",
        "partner_a",
        vendor_admin="OK",
        manager="OK",
        admin_a="OK",
        user_a="FORBIDDEN",
        admin_b="NOT_FOUND",
        user_b="FORBIDDEN",
        anonymous="UNAUTHENTICATED",
    ),
    *cases("createUser", "partner_b", manager="NOT_FOUND", admin_a="NOT_FOUND", admin_b="OK"),
    Case("createUser", None, "admin_a", "OK", lands_in="partner_a"),
    Case("createUser", None, "admin_b", "OK", lands_in="partner_b"),
    *cases(
        "createVendorStaff",
        vendor_admin="OK",
        manager="FORBIDDEN",
        admin_a="INVALID",
        user_a="FORBIDDEN",
        anonymous="UNAUTHENTICATED",
    ),
    *cases(
        "renameUser",
        "user_a",
        vendor_admin="OK",
        manager="OK",
        admin_a="OK",
        user_a="OK",
        admin_b="NOT_FOUND",
        user_b="NOT_FOUND",
        anonymous="UNAUTHENTICATED",
    ),
    *cases("renameUser", "admin_a", user_a="FORBIDDEN", manager="OK", admin_b="NOT_FOUND"),
    *cases(
        "renameUser", "vendor_admin", manager="NOT_FOUND", admin_a="NOT_FOUND", user_b="NOT_FOUND"
    ),
    *cases("renameUser", "manager", manager="OK", admin_a="NOT_FOUND", vendor_admin="OK"),
    *cases(
        "deactivateUser",
        "user_a",
        vendor_admin="OK",
        manager="OK",
        admin_a="OK",
        user_a="FORBIDDEN",
        admin_b="NOT_FOUND",
        user_b="NOT_FOUND",
    ),
    *cases("deactivateUser", "admin_a", admin_a="FORBIDDEN", user_a="FORBIDDEN"),
    *cases("deactivateUser", "manager", manager="FORBIDDEN", admin_a="NOT_FOUND"),
    *cases(
        "promoteUserToVendorAdmin",
        "user_a",
        manager="INVALID",
        admin_a="INVALID",
        user_a="FORBIDDEN",
        admin_b="NOT_FOUND",
    ),
    *cases(
        "createCustomer",
        "partner_a",
        vendor_admin="OK",
        manager="FORBIDDEN",
        admin_a="OK",
        user_a="OK",
        admin_b="NOT_FOUND",
        user_b="NOT_FOUND",
        anonymous="UNAUTHENTICATED",
    ),
    *cases("createCustomer", "partner_b", manager="NOT_FOUND", user_a="NOT_FOUND", user_b="OK"),
    Case("createCustomer", None, "user_a", "OK", lands_in="partner_a"),
    Case("createCustomer", None, "admin_b", "OK", lands_in="partner_b"),
    Case("createCustomer", None, "vendor_admin", "INVALID"),
]


async def run_mutation(
    gql: GraphQLClient, query: str, variables: dict[str, Any], token: str | None
) -> tuple[str, Any]:
    """The outcome (OK or an error code) and the errors as the caller saw them."""
    body = await gql.request(query, variables, token=token or "")
    if body.get("errors"):
        assert body["data"] is None
        return body["errors"][0]["extensions"]["code"], body["errors"]
    (payload,) = body["data"].values()
    if payload["__typename"] == "OperationErrors":
        codes = {error["code"] for error in payload["errors"]}
        assert len(codes) == 1, payload
        return codes.pop(), payload["errors"]
    return "OK", None


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.operation}-{c.target or 'own'}-{c.role}" for c in CASES]
)
async def test_mutation_permissions(gql: GraphQLClient, tenancy: Tenancy, case: Case):
    operation = OPERATIONS[case.operation]
    token = tenancy.token(case.role)
    before = await database_state()
    outcome, errors = await run_mutation(
        gql, operation.query, operation.variables(tenancy, case.target), token
    )
    assert outcome == case.expected, errors
    if outcome == "OK":
        await operation.done(tenancy, case.target or case.lands_in)
        return
    assert await database_state() == before
    if outcome == "NOT_FOUND" and case.target is not None:
        # Another partner's object is refused exactly like one that does not exist.
        variables = {
            key: missing_id(OBJECTS[case.target][0]) if value == tenancy.id(case.target) else value
            for key, value in operation.variables(tenancy, case.target).items()
        }
        assert await run_mutation(gql, operation.query, variables, token) == (outcome, errors)
        assert await database_state() == before
