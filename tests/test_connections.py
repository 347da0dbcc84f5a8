"""Connections: forward and backward keyset paging, the full pageInfo, totalCount at the cost of
one COUNT statement, and the documented page size limit (a larger first/last is refused)."""

from __future__ import annotations

from datetime import timedelta

from models.enums import CustomerStatus
from models.partners import PartnerOrg
from services.platform.pagination import MAX_PAGE_SIZE
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import GraphQLClient, World, count_statements

PARTNERS = """query($first: Int, $after: String, $last: Int, $before: String, $search: String) {
  partners(first: $first, after: $after, last: $last, before: $before, search: $search) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }"""


async def _partners(gql: GraphQLClient, world: World, **variables) -> dict:
    data = await gql.data(PARTNERS, variables, token=world.token("vendor_admin"))
    return data["partners"]


def _names(page: dict) -> list[str]:
    return [edge["node"]["name"] for edge in page["edges"]]


async def test_paging_forward_and_backward_with_page_info(gql: GraphQLClient, world: World):
    await PartnerOrg.bulk_create([PartnerOrg(name=f"P{n}", country="NL") for n in range(7)])
    everyone = ["Alpha Partners", "Beta Partners", *[f"P{n}" for n in range(7)]]

    first = await _partners(gql, world, first=4)
    assert _names(first) == everyone[:4]
    assert first["totalCount"] == 9
    info = first["pageInfo"]
    assert (info["hasNextPage"], info["hasPreviousPage"]) == (True, False)
    assert (info["startCursor"], info["endCursor"]) == (
        first["edges"][0]["cursor"],
        first["edges"][-1]["cursor"],
    )
    second = await _partners(gql, world, first=4, after=info["endCursor"])
    assert _names(second) == everyone[4:8]
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (
        True,
        True,
    )

    last = await _partners(gql, world, last=3)
    assert _names(last) == everyone[-3:]
    assert (last["pageInfo"]["hasNextPage"], last["pageInfo"]["hasPreviousPage"]) == (False, True)
    before = await _partners(gql, world, last=3, before=last["pageInfo"]["startCursor"])
    assert _names(before) == everyone[3:6]
    start = await _partners(gql, world, last=5, before=before["pageInfo"]["startCursor"])
    assert _names(start) == everyone[:3]
    assert (start["pageInfo"]["hasNextPage"], start["pageInfo"]["hasPreviousPage"]) == (True, False)
    # first with before: the first rows of the part of the list before the cursor.
    head = await _partners(gql, world, first=2, before=last["pageInfo"]["startCursor"])
    assert _names(head) == everyone[:2]
    # totalCount counts the filtered list, not the page.
    filtered = await _partners(gql, world, first=1, search="Partners")
    assert (filtered["totalCount"], _names(filtered)) == (2, ["Alpha Partners"])


async def test_page_size_limit_and_bad_arguments_are_refused(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    full = await _partners(gql, world, first=MAX_PAGE_SIZE)
    assert len(full["edges"]) == 2
    cases = [
        ({"first": MAX_PAGE_SIZE + 1}, "first"),
        ({"last": MAX_PAGE_SIZE + 1}, "last"),
        ({"last": 0}, "last"),
        ({"first": 2, "last": 2}, "last"),
        ({"before": "bm90LWEtY3Vyc29y"}, "before"),
    ]
    for variables, _field in cases:
        body = await gql.request(PARTNERS, variables, token=admin)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID", variables


async def test_total_count_costs_one_count_statement(gql: GraphQLClient, world: World):
    await PartnerOrg.bulk_create([PartnerOrg(name=f"P{n}", country="NL") for n in range(30)])
    without = "{ partners(first: 20) { nodes { name } } }"
    with_count = "{ partners(first: 20) { totalCount nodes { name } } }"
    token = world.token("vendor_admin")
    with count_statements() as plain:
        await gql.data(without, token=token)
    with count_statements() as counted:
        data = await gql.data(with_count, token=token)
    assert data["partners"]["totalCount"] == 32
    counts = [s for s in counted if "COUNT(" in s.upper()]
    assert len(counts) == 1, counted
    assert len(counted) == len(plain) + 1, counted


async def test_sorted_lists_page_backward(gql: GraphQLClient, world: World):
    """The customer overview (sorted by name) and upcoming renewals (by date) page both ways."""
    now = fixed_now()
    names = [f"Customer {c}" for c in "ABCDE"]
    for offset, name in enumerate(names):
        await make_customer(
            world.partner_a,
            name,
            now,
            status=CustomerStatus.ACTIVE,
            renewal_in=timedelta(days=10 + offset),
        )
    token = world.token("admin_a")
    overview = """query($sort: CustomerSort!, $last: Int, $before: String) {
      customerOverview(sort: $sort, last: $last, before: $before) {
        totalCount nodes { name } pageInfo { hasPreviousPage hasNextPage startCursor } } }"""
    page = (await gql.data(overview, {"sort": "NAME_DESC", "last": 2}, token=token))[
        "customerOverview"
    ]
    assert [n["name"] for n in page["nodes"]] == ["Customer B", "Customer A"]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasPreviousPage"] is True
    before = page["pageInfo"]["startCursor"]
    earlier = await gql.data(
        overview, {"sort": "NAME_DESC", "last": 2, "before": before}, token=token
    )
    assert [n["name"] for n in earlier["customerOverview"]["nodes"]] == [
        "Customer D",
        "Customer C",
    ]
    # A cursor of one sort order is refused by another.
    body = await gql.request(
        overview, {"sort": "NAME_ASC", "last": 2, "before": before}, token=token
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"

    renewals = """query($last: Int, $before: String) {
      upcomingRenewals(last: $last, before: $before) {
      totalCount nodes { customer { name } } pageInfo { startCursor hasPreviousPage } } }"""
    page = (await gql.data(renewals, {"last": 2}, token=token))["upcomingRenewals"]
    assert [n["customer"]["name"] for n in page["nodes"]] == names[3:]
    assert page["totalCount"] == 5
    earlier = await gql.data(
        renewals, {"last": 3, "before": page["pageInfo"]["startCursor"]}, token=token
    )
    assert [n["customer"]["name"] for n in earlier["upcomingRenewals"]["nodes"]] == names[:3]
    assert earlier["upcomingRenewals"]["pageInfo"]["hasPreviousPage"] is False
