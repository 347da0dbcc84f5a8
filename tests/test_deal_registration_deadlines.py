"""Deadlines of deal registrations with fixed clocks: the review due time in working days of the
vendor's time zone (weekends, holidays), overdue reviews, and protection that ends at once: an
approval past its end reads EXPIRED and refuses every action, job or no job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.deal_registrations import DealRegistration, DealRegistrationSettings
from services.deals.registration_review import approve_registration
from services.deals.registration_settings import current_settings
from services.deals.registrations import RegistrationFields, submit_registration
from tests.accounts_support import fixed_now, make_customer, viewer_for
from tests.conftest import gid, pk_of
from tests.deal_registration_support import (
    APPROVE,
    COUNTS,
    GRANT_EXTENSION,
    LINK_CUSTOMER,
    LIST,
    MARK_LOST,
    MARK_WON,
    ONE,
    REQUEST_EXTENSION,
    approved,
    codes,
    run,
    submitted,
)


def _fields(company: str = "Northwind") -> RegistrationFields:
    return RegistrationFields(
        company_name=company,
        contact_name="Nina North",
        contact_email="nina@northwind.example",
        products="Compliance Pro",
        amount=1000,  # type: ignore[arg-type]
    )


async def _use_settings(**values: object) -> None:
    await current_settings()
    await DealRegistrationSettings.filter(id=1).update(**values)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "target", "holidays", "submitted_at", "due_at"),
    [
        # Friday 16:00 in Amsterdam: two working days later is Tuesday 16:00.
        ("Europe/Amsterdam", 2, [], "2030-03-08T15:00", "2030-03-12T15:00"),
        # Saturday: counted from Monday 00:00, two working days later is Wednesday 00:00.
        ("Europe/Amsterdam", 2, [], "2030-03-09T10:00", "2030-03-12T23:00"),
        # Christmas Eve in New York, with two holidays: due on Friday at the same hour.
        (
            "America/New_York",
            1,
            ["2030-12-25", "2030-12-26"],
            "2030-12-24T20:00",
            "2030-12-27T20:00",
        ),
        # Friday 16:00 UTC is Saturday 01:00 in Tokyo: Monday 00:00 plus one day.
        ("Asia/Tokyo", 1, [], "2030-03-08T16:00", "2030-03-11T15:00"),
        # Across the change to summer time: the same wall-clock hour, one hour earlier in UTC.
        ("Europe/Amsterdam", 2, [], "2030-03-29T15:00", "2030-04-02T14:00"),
        # A target of 0 working days: due at once on a working day.
        ("Europe/Amsterdam", 0, [], "2030-03-08T15:00", "2030-03-08T15:00"),
    ],
)
async def test_the_review_is_due_in_working_days_of_the_vendors_zone(
    world, settings, zone, target, holidays, submitted_at, due_at
) -> None:
    await _use_settings(time_zone=zone, review_target_working_days=target, holidays=holidays)
    viewer = await viewer_for(settings, world.token("user_a"))
    registration = await submit_registration(viewer, _fields(), now=_utc(submitted_at))
    stored = await DealRegistration.get(id=registration.id)
    assert stored.review_due_at == _utc(due_at)


async def test_an_overdue_review_is_flagged_listed_and_counted_until_decided(
    world, gql, settings
) -> None:
    await _use_settings(time_zone="Europe/Amsterdam", review_target_working_days=2)
    viewer = await viewer_for(settings, world.token("user_a"))
    long_ago = fixed_now() - timedelta(days=10)
    late = await submit_registration(viewer, _fields("Late Co"), now=long_ago)
    fresh = await submitted(gql, world, companyName="Fresh Co")
    assert fresh["isOverdue"] is False
    late_id = gid("DealRegistration", late.id)
    assert (await run(gql, world, "vendor_admin", ONE, id=late_id))["isOverdue"] is True
    overdue = await gql.data(LIST, {"overdue": True}, token=world.token("manager"))
    assert [n["id"] for n in overdue["dealRegistrations"]["nodes"]] == [late_id]
    not_overdue = await gql.data(LIST, {"overdue": False}, token=world.token("manager"))
    assert [n["id"] for n in not_overdue["dealRegistrations"]["nodes"]] == [fresh["id"]]
    counts = await gql.data(COUNTS, {}, token=world.token("vendor_admin"))
    assert counts["dealRegistrationCounts"]["overdue"] == 1
    decided = await run(gql, world, "vendor_admin", APPROVE, id=late_id)
    assert decided["isOverdue"] is False
    counts = await gql.data(COUNTS, {}, token=world.token("vendor_admin"))
    assert counts["dealRegistrationCounts"]["overdue"] == 0


async def test_protection_ends_at_once_without_any_job(world, gql) -> None:
    customer = await make_customer(world.partner_a, "Lapsed Co", fixed_now())
    lapsed = await approved(gql, world, companyName="Lapsed Co")
    other = await approved(gql, world, companyName="Other Co")
    await run(gql, world, "user_a", REQUEST_EXTENSION, id=other["id"], reason="Budget")
    ended = datetime.now(UTC) - timedelta(seconds=1)
    for registration in (lapsed, other):
        await DealRegistration.filter(id=pk_of(registration["id"])).update(protected_until=ended)
    # The column still says approved; every read says EXPIRED.
    assert (await DealRegistration.get(id=pk_of(lapsed["id"]))).status == "approved"
    assert (await run(gql, world, "user_a", ONE, id=lapsed["id"]))["status"] == "EXPIRED"
    expired = await gql.data(LIST, {"status": "EXPIRED"}, token=world.token("vendor_admin"))
    assert expired["dealRegistrations"]["totalCount"] == 2
    still = await gql.data(LIST, {"status": "APPROVED"}, token=world.token("vendor_admin"))
    assert still["dealRegistrations"]["totalCount"] == 0
    counts = await gql.data(COUNTS, {}, token=world.token("user_a"))
    by_status = {c["status"]: c["count"] for c in counts["dealRegistrationCounts"]["byStatus"]}
    assert by_status["EXPIRED"] == 2
    assert by_status["APPROVED"] == 0
    # Every action is refused as expired, and nothing changes.
    lid = lapsed["id"]
    assert await codes(gql, world, "user_a", REQUEST_EXTENSION, id=lid, reason="x") == {"EXPIRED"}
    assert await codes(gql, world, "user_a", MARK_LOST, id=lid, reason="x") == {"EXPIRED"}
    assert await codes(gql, world, "vendor_admin", MARK_WON, id=lid) == {"EXPIRED"}
    assert await codes(gql, world, "vendor_admin", GRANT_EXTENSION, id=other["id"]) == {"EXPIRED"}
    assert await codes(
        gql, world, "user_a", LINK_CUSTOMER, id=lid, customer=gid("Customer", customer.id)
    ) == {"EXPIRED"}
    row = await DealRegistration.get(id=pk_of(lid))
    assert row.status == "approved"
    assert row.customer_id is None  # type: ignore[attr-defined]


async def test_expiring_soon_lists_approvals_ending_within_the_days_asked(world, gql) -> None:
    soon = await approved(gql, world, days=5, companyName="Soon Co")
    await approved(gql, world, days=90, companyName="Later Co")
    listed = await gql.data(LIST, {"expiring": 7}, token=world.token("user_a"))
    assert [n["id"] for n in listed["dealRegistrations"]["nodes"]] == [soon["id"]]
    counts = await gql.data(COUNTS, {"days": 7}, token=world.token("manager"))
    assert counts["dealRegistrationCounts"]["expiringSoon"] == 1
    body = await gql.request(LIST, {"expiring": -1}, token=world.token("user_a"))
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_approval_protects_from_the_decision_for_the_days_given(world, settings) -> None:
    await _use_settings(protection_days=30)
    partner = await viewer_for(settings, world.token("user_a"))
    reviewer = await viewer_for(settings, world.token("manager"))
    registration = await submit_registration(partner, _fields(), now=_utc("2030-03-08T15:00"))
    decided = await approve_registration(reviewer, registration.id, now=_utc("2030-03-11T09:00"))
    assert decided.protected_until == _utc("2030-04-10T09:00")
    other = await submit_registration(partner, _fields("Other"), now=_utc("2030-03-08T15:00"))
    decided = await approve_registration(
        reviewer, other.id, protection_days=7, now=_utc("2030-03-11T09:00")
    )
    assert decided.protected_until == _utc("2030-03-18T09:00")
