"""No N+1: the number of SQL statements of a list query does not grow with the list.

Each query runs once over 5 partners and once over 50 (each with users, customers with contacts,
static group memberships and dynamic groups that match some of them); the statement counts must
be equal.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.customers import Customer, CustomerContact
from models.enums import ContactRole, GroupKind, PartnerTier, Role
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from models.users import ChannelManagerAssignment, User
from settings import Settings
from tests.conftest import GraphQLClient, count_statements, make_user, token_for

PARTNERS = """{ partners(first: 50) { edges { node { id name
    groups { nodes { id name } } users { nodes { id email } totalCount }
    customers { nodes { id name } totalCount } salesReps { nodes { id } totalCount } } } } }"""
USERS = """{ users(first: 50) { edges { node { email
    partner { name groups { nodes { name } } } } } } }"""
CUSTOMERS = """{ customers(first: 50) { edges { node { name
    partner { name } contacts { email } } } } }"""
GROUPS = """{ partnerGroups(first: 50) { edges { node { name
    members { nodes { name users { nodes { email } totalCount }
      customers { nodes { name contacts { email } } } } } } } } }"""

TIERS = [PartnerTier.REGISTERED, PartnerTier.SILVER, PartnerTier.GOLD, PartnerTier.PLATINUM]


async def add_partners(start: int, count: int, static_groups: list[PartnerGroup]) -> None:
    """Partners with 3 users, 2 customers with 2 contacts each, in one of the static groups."""
    partners = [
        PartnerOrg(name=f"Partner {n:03d}", tier=TIERS[n % 4], country="NL" if n % 3 else "DE")
        for n in range(start, start + count)
    ]
    await PartnerOrg.bulk_create(partners)
    partners = await PartnerOrg.filter(name__in=[p.name for p in partners]).order_by("id")
    await User.bulk_create(
        [
            User(email=f"{role.value}{i}@p{p.id}.test", role=role, partner_id=p.id)
            for p in partners
            for i, role in enumerate((Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.PARTNER_USER))
        ]
    )
    await Customer.bulk_create(
        [
            Customer(name=f"Customer {i} of {p.id}", partner_id=p.id)
            for p in partners
            for i in (1, 2)
        ]
    )
    customers = await Customer.filter(partner_id__in=[p.id for p in partners])
    await CustomerContact.bulk_create(
        [
            CustomerContact(customer_id=c.id, role=role, email=f"{role.value}@c{c.id}.test")
            for c in customers
            for role in (ContactRole.PRIMARY, ContactRole.BILLING)
        ]
    )
    await PartnerGroupMember.bulk_create(
        [PartnerGroupMember(group_id=static_groups[p.id % 2].id, partner_id=p.id) for p in partners]
    )


@pytest.fixture
async def staff(app, settings: Settings) -> dict[str, Any]:
    static_groups = [
        await PartnerGroup.create(name="Benelux", kind=GroupKind.STATIC),
        await PartnerGroup.create(name="Early adopters", kind=GroupKind.STATIC),
    ]
    await PartnerGroup.create(
        name="Gold and up",
        kind=GroupKind.DYNAMIC,
        rule=[{"field": "tier", "operator": "in", "values": ["gold", "platinum"]}],
    )
    await PartnerGroup.create(
        name="German",
        kind=GroupKind.DYNAMIC,
        rule=[{"field": "country", "operator": "equals", "values": ["DE"]}],
    )
    admin = await make_user("admin@vendor.test", Role.VENDOR_ADMIN)
    manager = await make_user("manager@vendor.test", Role.CHANNEL_MANAGER)
    return {
        "static_groups": static_groups,
        "vendor_admin": await token_for(settings, admin),
        "manager": await token_for(settings, manager),
        "manager_user": manager,
    }


async def assign_everything(manager: User) -> None:
    await ChannelManagerAssignment.filter(manager_id=manager.id).delete()
    await ChannelManagerAssignment.bulk_create(
        [
            ChannelManagerAssignment(manager_id=manager.id, partner_id=p)
            for p in await PartnerOrg.all().values_list("id", flat=True)
        ]
    )


def node_count(data: dict[str, Any]) -> int:
    (connection,) = data.values()
    return len(connection["edges"])


def nested_count(data: dict[str, Any], key: str) -> int:
    """How many items the nested lists (or objects) named `key` hold across the page."""
    (connection,) = data.values()
    total = 0
    for edge in connection["edges"]:
        value = edge["node"][key]
        if isinstance(value, dict) and "nodes" in value:
            value = value["nodes"]
        total += len(value) if isinstance(value, list) else int(value is not None)
    return total


async def statements_for(gql: GraphQLClient, query: str, token: str) -> tuple[int, dict]:
    with count_statements() as statements:
        data = await gql.data(query, token=token)
    return len(statements), data


@pytest.mark.parametrize(
    ("query", "role", "nested"),
    [
        (PARTNERS, "vendor_admin", ("groups", "users", "customers")),
        (PARTNERS, "manager", ("groups", "users", "customers")),
        (USERS, "vendor_admin", ("partner",)),
        (CUSTOMERS, "vendor_admin", ("partner", "contacts")),
        (GROUPS, "vendor_admin", ("members",)),
    ],
    ids=["partners", "partners-as-channel-manager", "users", "customers", "groups"],
)
async def test_statement_count_does_not_grow_with_the_list(
    gql: GraphQLClient, staff: dict[str, Any], query: str, role: str, nested: tuple[str, ...]
):
    token = staff[role]
    await add_partners(0, 5, staff["static_groups"])
    await assign_everything(staff["manager_user"])
    small_count, small = await statements_for(gql, query, token)

    await add_partners(5, 45, staff["static_groups"])
    await assign_everything(staff["manager_user"])
    large_count, large = await statements_for(gql, query, token)

    # The lists really are 5 (or few) and 50 long, with their nested lists filled.
    if query is not GROUPS:
        assert node_count(small) < node_count(large) == 50
    for key in nested:
        assert 0 < nested_count(small, key) < nested_count(large, key), key
    assert small_count == large_count, (
        f"{small_count} statements for the short list, {large_count} for 50"
    )
