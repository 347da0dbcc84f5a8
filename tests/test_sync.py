"""Incremental sync through the public API: every list a CRM mirrors takes `updatedSince` and
pages by (updatedAt, id) so that a poller, with writes landing between its pages, misses no
change and never gets the same version of a row twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from models.customers import Customer
from models.deals import Commission, Deal
from models.enums import CustomerStatus, Role
from models.leads import Lead
from models.partners import PartnerOrg
from models.users import User
from schema.platform.ids import decode_global_id
from services.deals import service as deals
from services.deals.conversion import convert_to_paid
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import GraphQLClient, World, gid, make_partner, make_user


async def _touch_partner(row_id: int, n: int) -> None:
    await PartnerOrg.filter(id=row_id).update(country=f"N{n % 10}")


async def _touch_user(row_id: int, n: int) -> None:
    await User.filter(id=row_id).update(full_name=f"Touched {n}")


async def _touch_customer(row_id: int, n: int) -> None:
    customer = await Customer.get(id=row_id)
    customer.name = f"Customer {row_id} touched {n}"
    await customer.save()


async def _touch_lead(row_id: int, n: int) -> None:
    await Lead.filter(id=row_id).update(notes=f"touched {n}")


async def _touch_deal(row_id: int, n: int) -> None:
    await Deal.filter(id=row_id).update(product=f"Product {n}")


async def _touch_commission(row_id: int, n: int) -> None:
    await Commission.filter(id=row_id).update(currency="USD" if n % 2 else "EUR")


async def _new_partner(world: World, settings: Any, n: int) -> int:
    return (await make_partner(f"Sync Partner {n}")).id


async def _new_user(world: World, settings: Any, n: int) -> int:
    return (await make_user(f"sync{n}@alpha.test", Role.PARTNER_USER, world.partner_a)).id


async def _new_customer(world: World, settings: Any, n: int) -> int:
    return (await make_customer(world.partner_a, f"Sync Customer {n}", fixed_now())).id


async def _new_lead(world: World, settings: Any, n: int) -> int:
    lead = await Lead.create(
        partner=world.partner_a, email=f"lead{n}@buyer.example", company=f"Buyer {n}"
    )
    return lead.id


async def _new_deal(world: World, settings: Any, n: int) -> int:
    customer = await make_customer(world.partner_a, f"Deal Customer {n}", fixed_now())
    viewer = await viewer_for(settings, world.token("user_a"))
    return (await deals.register_deal(viewer, customer.id, "Pro", Decimal("100"))).id


async def _new_commission(world: World, settings: Any, n: int) -> int:
    customer = await make_customer(world.partner_a, f"Commission Customer {n}", fixed_now())
    viewer = await viewer_for(settings, world.token("user_a"))
    await deals.register_deal(viewer, customer.id, "Pro", Decimal("100"))
    conversion = await convert_to_paid(viewer, customer.id)
    assert conversion.commission is not None
    return conversion.commission.id


Maker = Callable[[World, Any, int], Awaitable[int]]
Toucher = Callable[[int, int], Awaitable[None]]

# (list field, its node type, token of the poller, how to make a row, how to change one)
LISTS: list[tuple[str, str, str, Maker, Toucher]] = [
    ("partners", "Partner", "vendor_admin", _new_partner, _touch_partner),
    ("users", "User", "vendor_admin", _new_user, _touch_user),
    ("customers", "Customer", "vendor_admin", _new_customer, _touch_customer),
    ("leads", "Lead", "vendor_admin", _new_lead, _touch_lead),
    ("deals", "Deal", "vendor_admin", _new_deal, _touch_deal),
    ("commissions", "Commission", "vendor_admin", _new_commission, _touch_commission),
]


def _pk(node_id: str) -> int:
    decoded = decode_global_id(node_id)
    assert decoded is not None, node_id
    return decoded[1]


async def _page(
    gql: GraphQLClient, token: str, field: str, since: str, after: str | None
) -> dict[str, Any]:
    body = await gql.data(
        f"""query($since: DateTime!, $after: String) {{
              {field}(updatedSince: $since, first: 2, after: $after) {{
                edges {{ cursor node {{ id updatedAt }} }}
                pageInfo {{ hasNextPage endCursor }} }} }}""",
        {"since": since, "after": after},
        token=token,
    )
    return body[field]


async def _everything(gql: GraphQLClient, token: str, field: str, since: str) -> dict[str, str]:
    """id -> updatedAt of every row changed since `since`, read in one quiet pass."""
    rows: dict[str, str] = {}
    after = None
    while True:
        page = await _page(gql, token, field, since, after)
        rows.update((edge["node"]["id"], edge["node"]["updatedAt"]) for edge in page["edges"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows


@pytest.mark.parametrize(
    ("field", "type_name", "who", "make", "touch"), LISTS, ids=[x[0] for x in LISTS]
)
async def test_polling_misses_nothing_and_repeats_nothing_under_writes(
    gql: GraphQLClient,
    world: World,
    settings: Any,
    field: str,
    type_name: str,
    who: str,
    make: Maker,
    touch: Toucher,
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    made = [await make(world, settings, n) for n in range(5)]
    token = world.token(who)
    seen: list[tuple[str, str]] = []
    after: str | None = None
    writes = 0
    while True:
        page = await _page(gql, token, field, since.isoformat(), after)
        seen.extend((edge["node"]["id"], edge["node"]["updatedAt"]) for edge in page["edges"])
        if page["pageInfo"]["endCursor"] is not None:
            after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        # Interleave writes between pages: change a row already read and one not yet read, and
        # add a new one. All three must come (again) later in the same poll.
        if writes < 3:
            writes += 1
            await touch(made[0], writes)
            await touch(made[-1], writes)
            made.append(await make(world, settings, 100 + writes))
    assert writes > 0
    # Never the same version twice, and the order is (updatedAt, id).
    assert len(seen) == len(set(seen))
    keys = [(datetime.fromisoformat(stamp), _pk(row_id)) for row_id, stamp in seen]
    assert keys == sorted(keys)
    # Nothing missed: every row made is there, in its latest version.
    latest = dict(seen)
    assert {gid(type_name, row_id) for row_id in made} <= set(latest)
    assert latest == await _everything(gql, token, field, since.isoformat())
    # The next poll from the kept cursor brings only what changed since.
    await touch(made[1], 99)
    rest = await _page(gql, token, field, since.isoformat(), after)
    assert [edge["node"]["id"] for edge in rest["edges"]] == [gid(type_name, made[1])]
    # Paging backward over the same changes (last/before) gives the same rows, same order.
    backward: list[str] = []
    before: str | None = None
    while True:
        body = await gql.data(
            f"""query($since: DateTime!, $before: String) {{
                  {field}(updatedSince: $since, last: 2, before: $before) {{
                    nodes {{ id }} pageInfo {{ hasPreviousPage startCursor }} }} }}""",
            {"since": since.isoformat(), "before": before},
            token=token,
        )
        backward[:0] = [node["id"] for node in body[field]["nodes"]]
        before = body[field]["pageInfo"]["startCursor"]
        if not body[field]["pageInfo"]["hasPreviousPage"]:
            break
    assert backward == list(await _everything(gql, token, field, since.isoformat()))


async def test_equal_timestamps_are_split_by_id(gql: GraphQLClient, world: World) -> None:
    """A run of rows with one updated_at across a page boundary: each comes exactly once."""
    stamp = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    ids = [(await make_partner(f"Same Time {n}")).id for n in range(5)]
    await PartnerOrg.filter(id__in=ids).update(updated_at=stamp)
    token = world.token("vendor_admin")
    seen: list[str] = []
    after = None
    while True:
        page = await _page(gql, token, "partners", stamp.isoformat(), after)
        seen.extend(edge["node"]["id"] for edge in page["edges"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == [gid("Partner", row_id) for row_id in sorted(ids)]


async def test_every_write_path_moves_updated_at(world: World) -> None:
    """Queryset updates do not touch auto_now fields in Tortoise: ours stamp updated_at."""
    before = (await PartnerOrg.get(id=world.partner_a.id)).updated_at
    await PartnerOrg.filter(id=world.partner_a.id).update(country="BE")
    assert (await PartnerOrg.get(id=world.partner_a.id)).updated_at > before
    customer = await make_customer(world.partner_a, "Stamped", fixed_now())
    was = (await Customer.get(id=customer.id)).updated_at
    await Customer.filter(id=customer.id).update(status=CustomerStatus.ACTIVE)
    assert (await Customer.get(id=customer.id)).updated_at > was


async def test_a_bad_cursor_or_naive_time_is_a_typed_error(
    gql: GraphQLClient, world: World
) -> None:
    token = world.token("vendor_admin")
    body = await gql.request(
        '{ partners(updatedSince: "2024-01-01T00:00:00+00:00", after: "aWQ6Mg") { nodes { id } } }',
        token=token,
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    # A cursor of the sync order is refused by the plain list too.
    page = await _page(gql, token, "partners", "2000-01-01T00:00:00+00:00", None)
    body = await gql.request(
        "query($after: String) { partners(after: $after) { nodes { id } } }",
        {"after": page["pageInfo"]["endCursor"]},
        token=token,
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    body = await gql.request(
        '{ partners(updatedSince: "2024-01-01T00:00:00") { nodes { id } } }', token=token
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
