"""Lists of deal registrations (filters, paging, counts per status) and the report: approval
rate and median time to decision per partner and overall, each reader seeing its own reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.deal_registrations import DealRegistration
from services.deals.registration_review import (
    approve_registration,
    reject_registration,
    request_information,
)
from services.deals.registrations import RegistrationFields, submit_registration
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import gid
from tests.deal_registration_support import (
    COUNTS,
    LIST,
    ONE,
    REJECT,
    SAVE_DRAFT,
    SUBMIT,
    approved,
    form,
    run,
    submitted,
)

SWITCH = """mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token } } }"""
REPORT = """query($since: DateTime) { dealRegistrationReport(since: $since) {
  overall { submitted decided approved rejected approvalRate medianHoursToDecision partner { id } }
  partners { partner { name } submitted decided approved rejected approvalRate
             medianHoursToDecision } } }"""


def _fields(company: str) -> RegistrationFields:
    return RegistrationFields(
        company_name=company,
        contact_name="Nina North",
        contact_email="nina@northwind.example",
        products="Compliance Pro",
        amount=1000,  # type: ignore[arg-type]
    )


async def test_lists_filter_by_status_and_partner_and_page_with_counts(world, gql) -> None:
    await run(gql, world, "user_a", SAVE_DRAFT, input={"companyName": "Draft Co"})
    first = await submitted(gql, world, companyName="One Co")
    second = await approved(gql, world, companyName="Two Co")
    third = await submitted(gql, world, companyName="Three Co")
    await run(gql, world, "vendor_admin", REJECT, id=third["id"], reason="No")
    beta = await submitted(gql, world, "user_b", companyName="Beta Co")
    everything = await gql.data(LIST, {"first": 2}, token=world.token("vendor_admin"))
    page = everything["dealRegistrations"]
    assert page["totalCount"] == 4  # the draft is the partner's own
    assert [n["id"] for n in page["nodes"]] == [beta["id"], third["id"]]
    rest = await gql.data(
        LIST,
        {"first": 2, "after": page["pageInfo"]["endCursor"]},
        token=world.token("vendor_admin"),
    )
    assert [n["id"] for n in rest["dealRegistrations"]["nodes"]] == [second["id"], first["id"]]
    only_alpha = await gql.data(
        LIST, {"partner": gid("Partner", world.partner_a.id)}, token=world.token("vendor_admin")
    )
    assert only_alpha["dealRegistrations"]["totalCount"] == 3
    by_status = await gql.data(LIST, {"status": "SUBMITTED"}, token=world.token("vendor_admin"))
    assert {n["id"] for n in by_status["dealRegistrations"]["nodes"]} == {first["id"], beta["id"]}
    own = await gql.data(LIST, {}, token=world.token("user_a"))
    assert own["dealRegistrations"]["totalCount"] == 4  # with the draft
    counts = await gql.data(COUNTS, {}, token=world.token("user_a"))
    figures = {c["status"]: c["count"] for c in counts["dealRegistrationCounts"]["byStatus"]}
    assert figures == {
        "DRAFT": 1,
        "SUBMITTED": 1,
        "INFO_REQUESTED": 0,
        "APPROVED": 1,
        "REJECTED": 1,
        "EXPIRED": 0,
        "WON": 0,
        "LOST": 0,
    }
    vendor = await gql.data(COUNTS, {}, token=world.token("vendor_admin"))
    vendor_figures = {c["status"]: c["count"] for c in vendor["dealRegistrationCounts"]["byStatus"]}
    assert vendor_figures["SUBMITTED"] == 2
    assert vendor_figures["DRAFT"] == 0


async def test_act_as_sessions_reach_no_registration(world, gql) -> None:
    mine = await submitted(gql, world)
    customer = await make_customer(world.partner_a, "Mine", fixed_now())
    granted = (
        await gql.data(SWITCH, {"id": gid("Customer", customer.id)}, token=world.token("admin_a"))
    )["switchAccount"]
    acting = gql.as_user(granted["token"])
    for query, variables in (
        ("{ dealRegistrations { totalCount } }", {}),
        ("{ dealRegistrationCounts { overdue } }", {}),
        (ONE, {"id": mine["id"]}),
        (SUBMIT, {"input": form("Acting Co")}),
    ):
        body = await acting.request(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    assert await DealRegistration.all().count() == 1


async def test_the_report_gives_approval_rate_and_median_time_to_decision(
    world, gql, settings
) -> None:
    alpha = await viewer_for(settings, world.token("user_a"))
    beta = await viewer_for(settings, world.token("user_b"))
    reviewer = await viewer_for(settings, world.token("vendor_admin"))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    hour = timedelta(hours=1)
    one = await submit_registration(alpha, _fields("One"), now=start)
    await approve_registration(reviewer, one.id, now=start + 2 * hour)
    two = await submit_registration(alpha, _fields("Two"), now=start)
    await request_information(reviewer, two.id, "Which plan?", now=start + hour)
    three = await submit_registration(alpha, _fields("Three"), now=start)
    await reject_registration(reviewer, three.id, "Known", now=start + 4 * hour)
    four = await submit_registration(beta, _fields("Four"), now=start)
    await approve_registration(reviewer, four.id, now=start + 10 * hour)
    report = (await gql.data(REPORT, {}, token=world.token("vendor_admin")))[
        "dealRegistrationReport"
    ]
    assert report["overall"] == {
        "submitted": 4,
        "decided": 3,
        "approved": 2,
        "rejected": 1,
        "approvalRate": pytest.approx(2 / 3),
        "medianHoursToDecision": 4.0,
        "partner": None,
    }
    assert report["partners"] == [
        {
            "partner": {"name": "Alpha Partners"},
            "submitted": 3,
            "decided": 2,
            "approved": 1,
            "rejected": 1,
            "approvalRate": 0.5,
            "medianHoursToDecision": 3.0,
        },
        {
            "partner": {"name": "Beta Partners"},
            "submitted": 1,
            "decided": 1,
            "approved": 1,
            "rejected": 0,
            "approvalRate": 1.0,
            "medianHoursToDecision": 10.0,
        },
    ]
    # A channel manager and a partner see only their own reach.
    for who in ("manager", "admin_a"):
        seen = (await gql.data(REPORT, {}, token=world.token(who)))["dealRegistrationReport"]
        assert [p["partner"]["name"] for p in seen["partners"]] == ["Alpha Partners"]
        assert seen["overall"]["submitted"] == 3
    later = (
        await gql.data(
            REPORT, {"since": (start + hour).isoformat()}, token=world.token("vendor_admin")
        )
    )["dealRegistrationReport"]
    assert later["overall"]["submitted"] == 0
    assert later["overall"]["approvalRate"] is None
    assert later["overall"]["medianHoursToDecision"] is None
