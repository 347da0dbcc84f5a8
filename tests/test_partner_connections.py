"""A partner's users, sales reps, customers and groups, and a group's members, are connections:
paged both ways per partner with cursors and totalCount, in the same statements for any number of
partners, and never beyond what the viewer may see."""

from __future__ import annotations

from typing import Any

import pytest

from models.customers import Customer
from models.enums import GroupKind, Role
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from models.users import SalesRep, User
from services.platform.pagination import MAX_PAGE_SIZE
from tests.conftest import GraphQLClient, World, count_statements, gid, make_partner

PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  partners(first: 10) { nodes { name
    users(first: $first, after: $after, last: $last, before: $before) {
      totalCount nodes { email }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def add_users(world: World, count: int) -> None:
    """`count` more users in each of the world's two partners (after their admin and user)."""
    await User.bulk_create(
        [
            User(email=f"extra{n}@{org}.test", role=Role.PARTNER_USER, partner_id=partner.id)
            for org, partner in (("alpha", world.partner_a), ("beta", world.partner_b))
            for n in range(count)
        ]
    )


def users_by_partner(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p["users"] for p in data["partners"]["nodes"]}


async def test_each_partners_users_page_forward_and_backward(gql: GraphQLClient, world: World):
    await add_users(world, 5)  # 7 users per partner
    token = world.token("vendor_admin")
    first = users_by_partner(await gql.data(PAGE, {"first": 3}, token=token))
    alpha, beta = first["Alpha Partners"], first["Beta Partners"]
    assert [u["email"] for u in alpha["nodes"]] == [
        "admin@alpha.test",
        "user@alpha.test",
        "extra0@alpha.test",
    ]
    assert beta["nodes"][0]["email"] == "admin@beta.test"
    assert alpha["totalCount"] == beta["totalCount"] == 7
    assert alpha["pageInfo"]["hasNextPage"]
    assert not alpha["pageInfo"]["hasPreviousPage"]

    # Alpha's end cursor pages Alpha on; Beta's later users lie beyond it too (ids are global),
    # so each partner's next page is the rest of its own list.
    after = users_by_partner(
        await gql.data(PAGE, {"first": 10, "after": alpha["pageInfo"]["endCursor"]}, token=token)
    )["Alpha Partners"]
    assert [u["email"] for u in after["nodes"]] == [f"extra{n}@alpha.test" for n in range(1, 5)]
    assert not after["pageInfo"]["hasNextPage"]
    assert after["pageInfo"]["hasPreviousPage"]

    last = users_by_partner(await gql.data(PAGE, {"last": 2}, token=token))
    assert [u["email"] for u in last["Beta Partners"]["nodes"]] == [
        "extra3@beta.test",
        "extra4@beta.test",
    ]
    assert last["Beta Partners"]["pageInfo"]["hasPreviousPage"]
    before = users_by_partner(
        await gql.data(
            PAGE,
            {"last": 2, "before": last["Alpha Partners"]["pageInfo"]["startCursor"]},
            token=token,
        )
    )["Alpha Partners"]
    assert [u["email"] for u in before["nodes"]] == ["extra1@alpha.test", "extra2@alpha.test"]
    assert before["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize(
    "variables",
    [{"first": MAX_PAGE_SIZE + 1}, {"last": 0}, {"first": 1, "last": 1}, {"after": "bogus"}],
)
async def test_bad_page_arguments_are_invalid(
    gql: GraphQLClient, world: World, variables: dict[str, Any]
):
    body = await gql.request(PAGE, variables, token=world.token("vendor_admin"))
    assert body["errors"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"INVALID"}


async def test_nested_connections_do_not_grow_statements_with_the_list(
    gql: GraphQLClient, world: World
):
    """Pages and totalCount of users, sales reps, customers and groups of 2 and of 12 partners."""
    group = await PartnerGroup.create(name="Everyone", kind=GroupKind.STATIC)
    query = """{ partners(first: 20) { nodes { name
      users(first: 2) { totalCount nodes { email } }
      salesReps(first: 2) { totalCount nodes { email } }
      customers(first: 2) { totalCount nodes { name } }
      groups { totalCount nodes { name members(first: 1) { totalCount nodes { name } } } } } } }"""
    token = world.token("vendor_admin")

    async def fill() -> None:
        for partner_id in await _partner_ids():
            await SalesRep.get_or_create(
                partner_id=partner_id, email=f"rep@{partner_id}.test", full_name="Rep"
            )
            await Customer.get_or_create(partner_id=partner_id, name=f"Customer of {partner_id}")
            await PartnerGroupMember.get_or_create(group_id=group.id, partner_id=partner_id)

    await fill()
    with count_statements() as small:
        small_data = await gql.data(query, token=token)
    for n in range(10):
        partner = await make_partner(f"Extra {n:02d}")
        await User.create(email=f"a@extra{n}.test", role=Role.PARTNER_ADMIN, partner=partner)
    await fill()
    with count_statements() as large:
        large_data = await gql.data(query, token=token)
    assert len(small_data["partners"]["nodes"]) == 2
    assert len(large_data["partners"]["nodes"]) == 12
    for partner in large_data["partners"]["nodes"]:
        assert partner["salesReps"]["totalCount"] == 1
        assert partner["customers"]["totalCount"] == 1
        assert partner["groups"]["nodes"][0]["members"]["totalCount"] == 12
    assert len(small) == len(large), "\n".join(large)


async def _partner_ids() -> list[int]:
    return list(await PartnerOrg.all().values_list("id", flat=True))


async def test_a_partner_user_pages_only_its_own_org(gql: GraphQLClient, world: World):
    await add_users(world, 3)
    data = await gql.data(
        "query($id: ID!) { partner(id: $id) { users(first: 2) { totalCount nodes { email } } } }",
        {"id": gid("Partner", world.partner_a.id)},
        token=world.token("user_a"),
    )
    users = data["partner"]["users"]
    assert users["totalCount"] == 5
    assert all(u["email"].endswith("@alpha.test") for u in users["nodes"])
