"""Duplicate detection across partners, and tenancy: the submitting partner learns that the
company is covered but never by whom (not in the registration, its history or an error), vendor
staff see the holder; another partner's registrations are invisible by id, list, node and nested
fields, and unchangeable; channel managers reach their assigned partners only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.deal_registrations import DealRegistration, DirectDeal
from models.users import ChannelManagerAssignment
from services.leads.ignored_companies import normalise_company
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import gid, make_user, pk_of, token_for
from tests.deal_registration_support import (
    APPROVE,
    DELETE_DRAFT,
    HISTORY,
    LINK_CUSTOMER,
    LIST,
    MARK_LOST,
    ONE,
    REJECT,
    REQUEST_EXTENSION,
    RESUBMIT,
    SAVE_DRAFT,
    UPDATE,
    approved,
    codes,
    history_of,
    run,
    submitted,
)

NEUTRAL = "Another registration or a vendor deal already covers this company."


async def test_a_company_covered_by_another_partner_is_flagged_without_naming_it(
    world, gql
) -> None:
    holder = await approved(gql, world, "user_b", companyName="Northwind Traders B.V.")
    # Same company by its normalised name, by its domain, or not at all.
    by_name = await submitted(
        gql, world, companyName="  northwind traders b.v. ", companyDomain="other.example"
    )
    by_domain = await submitted(
        gql,
        world,
        companyName="NW Traders",
        companyDomain="https://www.NorthwindTraders.example/contact",
    )
    unrelated = await submitted(gql, world, companyName="Contoso", companyDomain="contoso.example")
    for flagged in (by_name, by_domain):
        assert flagged["conflictKind"] == "PARTNER_REGISTRATION"
        assert flagged["conflict"] == {
            "kind": "PARTNER_REGISTRATION",
            "message": NEUTRAL,
            "registration": None,
            "partner": None,
            "directDealId": None,
            "directDealSummary": None,
            "directDeal": None,
        }
        assert flagged["status"] == "SUBMITTED"
    assert unrelated["conflict"] is None
    # Nothing in the partner's view of the history names the holder either.
    [entry] = await history_of(gql, world, "user_a", by_name["id"])
    assert entry["conflict"]["registration"] is None
    assert entry["conflict"]["partner"] is None
    raw = await gql.request(HISTORY, {"id": by_name["id"]}, token=world.token("admin_a"))
    assert "Beta" not in str(raw)
    assert holder["id"] not in str(raw)
    # Vendor staff see who holds it.
    seen = await run(gql, world, "vendor_admin", ONE, id=by_name["id"])
    assert seen["conflict"]["registration"] == {"id": holder["id"]}
    assert seen["conflict"]["partner"] == {"name": "Beta Partners"}
    [vendor_entry] = await history_of(gql, world, "vendor_admin", by_name["id"])
    assert vendor_entry["conflict"]["registration"] == {"id": holder["id"]}
    # A reviewer may still decide it.
    assert (await run(gql, world, "vendor_admin", APPROVE, id=by_name["id"]))["status"] == (
        "APPROVED"
    )


async def test_own_partner_drafts_rejections_and_lapsed_approvals_do_not_conflict(
    world, gql
) -> None:
    await approved(gql, world, "user_a", companyName="Own Co")
    rejected = await submitted(gql, world, "user_b", companyName="Rejected Co")
    await run(gql, world, "vendor_admin", REJECT, id=rejected["id"], reason="No")
    await run(gql, world, "user_b", SAVE_DRAFT, input={"companyName": "Drafted Co"})
    lapsed = await approved(gql, world, "user_b", companyName="Lapsed Co")
    # The protection passed a minute ago; no job has written EXPIRED yet.
    ended = datetime.now(UTC) - timedelta(minutes=1)
    await DealRegistration.filter(id=pk_of(lapsed["id"])).update(protected_until=ended)
    for company in ("Own Co", "Rejected Co", "Drafted Co", "Lapsed Co"):
        assert (await submitted(gql, world, companyName=company))["conflict"] is None


async def test_an_open_direct_deal_of_the_vendor_is_a_conflict(world, gql) -> None:
    direct = await DirectDeal.create(
        company_name="Fabrikam Inc",
        normalised_company=normalise_company("Fabrikam Inc"),
        company_domain="fabrikam.example",
        owner_name="Vendor Sales",
    )
    await DirectDeal.create(
        company_name="Closed Co",
        normalised_company=normalise_company("Closed Co"),
        is_open=False,
    )
    flagged = await submitted(gql, world, companyName="Fab", companyDomain="fabrikam.example")
    assert flagged["conflictKind"] == "DIRECT_DEAL"
    assert flagged["conflict"]["directDealId"] is None
    assert flagged["conflict"]["directDealSummary"] is None
    assert flagged["conflict"]["directDeal"] is None
    seen = await run(gql, world, "manager", ONE, id=flagged["id"])
    assert seen["conflict"]["directDealId"] == gid("DirectDeal", direct.id)
    assert seen["conflict"]["directDealSummary"] == "Fabrikam Inc (Vendor Sales)"
    assert seen["conflict"]["directDeal"] == {
        "id": gid("DirectDeal", direct.id),
        "companyName": "Fabrikam Inc",
        "ownerName": "Vendor Sales",
    }
    assert (await submitted(gql, world, companyName="Closed Co"))["conflict"] is None


async def test_another_partners_registrations_are_invisible_and_unchangeable(world, gql) -> None:
    theirs = await approved(gql, world, "user_b", companyName="Their Co")
    draft = await run(gql, world, "user_b", SAVE_DRAFT, input={"companyName": "Their Draft"})
    for registration_id in (theirs["id"], draft["id"]):
        body = await gql.request(ONE, {"id": registration_id}, token=world.token("admin_a"))
        assert body["data"]["dealRegistration"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        nodes = await gql.data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            {"ids": [registration_id]},
            token=world.token("user_a"),
        )
        assert nodes["nodes"] == [None]
    listed = await gql.data(LIST, {}, token=world.token("admin_a"))
    assert listed["dealRegistrations"]["totalCount"] == 0
    filtered = await gql.data(
        LIST, {"partner": gid("Partner", world.partner_b.id)}, token=world.token("user_a")
    )
    assert filtered["dealRegistrations"]["nodes"] == []
    tid = theirs["id"]
    attempts = [
        (UPDATE, {"id": draft["id"], "input": {"companyName": "Mine"}}),
        (DELETE_DRAFT, {"id": draft["id"]}),
        (REQUEST_EXTENSION, {"id": tid, "reason": "x"}),
        (MARK_LOST, {"id": tid, "reason": "x"}),
        (RESUBMIT, {"id": tid, "answer": "x"}),
    ]
    for document, variables in attempts:
        assert await codes(gql, world, "admin_a", document, **variables) == {"NOT_FOUND"}
    customer = await make_customer(world.partner_a, "Alpha Customer", fixed_now())
    assert await codes(
        gql, world, "user_a", LINK_CUSTOMER, id=tid, customer=gid("Customer", customer.id)
    ) == {"NOT_FOUND"}
    after = await DealRegistration.get(id=pk_of(tid))
    assert after.status == "approved"
    assert after.customer_id is None  # type: ignore[attr-defined]
    # History entries are nodes under the same tenancy.
    [entry, *_] = await history_of(gql, world, "user_b", tid)
    foreign = await gql.request(
        "query($id: ID!) { node(id: $id) { id } }", {"id": entry["id"]}, token=world.token("user_a")
    )
    assert foreign["data"]["node"] is None
    own = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": entry["id"]}, token=world.token("user_b")
    )
    assert own["node"] == {"id": entry["id"]}


async def test_a_channel_manager_reaches_assigned_partners_only(world, gql, settings) -> None:
    theirs = await submitted(gql, world, "user_b", companyName="Beta Deal")
    ours = await submitted(gql, world, "user_a", companyName="Alpha Deal")
    listed = await gql.data(LIST, {}, token=world.token("manager"))
    assert [n["id"] for n in listed["dealRegistrations"]["nodes"]] == [ours["id"]]
    assert await codes(gql, world, "manager", APPROVE, id=theirs["id"]) == {"NOT_FOUND"}
    # Another channel manager, assigned to Beta only, cannot touch Alpha's.
    other = await make_user("other@vendor.test", role=world.manager.role)
    await ChannelManagerAssignment.create(manager=other, partner=world.partner_b)
    world.tokens["other_manager"] = await token_for(settings, other)
    assert await codes(gql, world, "other_manager", APPROVE, id=ours["id"]) == {"NOT_FOUND"}
    result = await run(gql, world, "other_manager", APPROVE, id=theirs["id"])
    assert result["status"] == "APPROVED"
    # Filtering by reviewer: what a user decided, or awaits as the partner's channel manager.
    by_other = await gql.data(
        LIST, {"reviewer": gid("User", other.id)}, token=world.token("vendor_admin")
    )
    assert [n["id"] for n in by_other["dealRegistrations"]["nodes"]] == [theirs["id"]]
    by_manager = await gql.data(
        LIST, {"reviewer": gid("User", world.manager.id)}, token=world.token("vendor_admin")
    )
    assert [n["id"] for n in by_manager["dealRegistrations"]["nodes"]] == [ours["id"]]
