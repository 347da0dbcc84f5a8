"""The deal-registration lifecycle through the API: draft, edit, submit, review (approve, reject,
ask for information and resubmit), extension, customer link, won (the commission as for any
deal) and lost; every transition's guard (who, in which state) and its history entry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models.deal_registrations import (
    CustomFieldKind,
    DealRegistration,
    DealRegistrationEvent,
    DealRegistrationField,
)
from models.deals import Commission, Deal, DealStatus
from services.deals.registration_settings import current_settings
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import gid, pk_of
from tests.deal_registration_support import (
    APPROVE,
    CONVERT,
    DECLINE_EXTENSION,
    DELETE_DRAFT,
    GRANT_EXTENSION,
    LINK_CUSTOMER,
    MARK_LOST,
    MARK_WON,
    ONE,
    REJECT,
    REQUEST_EXTENSION,
    REQUEST_INFO,
    RESUBMIT,
    SAVE_DRAFT,
    SUBMIT,
    SUBMIT_DRAFT,
    UPDATE,
    approved,
    codes,
    form,
    history_of,
    refused,
    run,
    submitted,
)


async def test_a_draft_is_edited_and_submitted_by_its_author_or_a_partner_admin(world, gql) -> None:
    draft = await run(gql, world, "user_a", SAVE_DRAFT, input={"companyName": "Acme"})
    assert draft["status"] == "DRAFT"
    assert draft["submittedAt"] is None
    assert draft["reviewDueAt"] is None
    # Vendor staff do not see a draft; the partner's other user may read it but not change it.
    data = await gql.request(ONE, {"id": draft["id"]}, token=world.token("vendor_admin"))
    assert data["data"]["dealRegistration"] is None
    assert data["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await codes(gql, world, "admin_b", UPDATE, id=draft["id"], input={}) == {"NOT_FOUND"}
    other = await gql.data(ONE, {"id": draft["id"]}, token=world.token("admin_a"))
    assert other["dealRegistration"]["companyName"] == "Acme"
    # Submitting needs the whole form: nothing changes when it is incomplete.
    errors = await refused(gql, world, "user_a", SUBMIT_DRAFT, id=draft["id"])
    assert {e["field"] for e in errors} >= {"contactName", "contactEmail", "products", "amount"}
    assert (await DealRegistration.get(id=pk_of(draft["id"]))).status == "draft"
    edited = await run(
        gql, world, "admin_a", UPDATE, id=draft["id"], input=form("Acme", contactPhone="")
    )
    assert edited["contactPhone"] == ""
    assert edited["status"] == "DRAFT"
    submitted_row = await run(gql, world, "user_a", SUBMIT_DRAFT, id=draft["id"])
    assert submitted_row["status"] == "SUBMITTED"
    assert submitted_row["submittedAt"] == submitted_row["firstSubmittedAt"]
    assert submitted_row["reviewDueAt"] > submitted_row["submittedAt"]
    # Once submitted it is no draft any more: neither editable nor deletable.
    assert await codes(gql, world, "user_a", UPDATE, id=draft["id"], input={}) == {"INVALID"}
    assert await codes(gql, world, "admin_a", DELETE_DRAFT, id=draft["id"]) == {"INVALID"}
    kinds = [entry["kind"] for entry in await history_of(gql, world, "user_a", draft["id"])]
    assert kinds == ["DRAFTED", "UPDATED", "SUBMITTED"]


async def test_only_the_author_or_a_partner_admin_changes_or_deletes_a_draft(world, gql) -> None:
    draft = await run(gql, world, "admin_a", SAVE_DRAFT, input={"companyName": "Acme"})
    assert await codes(gql, world, "user_a", UPDATE, id=draft["id"], input={}) == {"FORBIDDEN"}
    assert await codes(gql, world, "user_a", DELETE_DRAFT, id=draft["id"]) == {"FORBIDDEN"}
    mine = await run(gql, world, "user_a", SAVE_DRAFT, input={"companyName": "Mine"})
    result = await run(gql, world, "admin_a", DELETE_DRAFT, id=mine["id"])
    assert result["__typename"] == "Done"
    assert not await DealRegistration.filter(id=pk_of(mine["id"])).exists()
    assert await DealRegistration.filter(id=pk_of(draft["id"])).exists()


async def test_only_partner_users_register_and_the_form_is_validated(world, gql) -> None:
    for who in ("vendor_admin", "manager"):
        assert await codes(gql, world, who, SUBMIT, input=form()) == {"FORBIDDEN"}
    errors = await refused(
        gql,
        world,
        "user_a",
        SUBMIT,
        input=form(companyDomain="not a domain", contactEmail="nope", amount="-5", currency="E"),
    )
    assert {e["field"] for e in errors} == {"companyDomain", "contactEmail", "amount", "currency"}
    assert await codes(gql, world, "user_a", SAVE_DRAFT, input={"companyName": " "}) == {"INVALID"}
    assert await DealRegistration.all().count() == 0
    registration = await submitted(gql, world, companyDomain="https://www.Northwind.example/x")
    assert registration["companyDomain"] == "northwind.example"


async def test_custom_fields_are_checked_against_their_definitions(world, gql) -> None:
    await DealRegistrationField.create(
        key="seats", label="Seats", kind=CustomFieldKind.NUMBER, required=True, position=1
    )
    await DealRegistrationField.create(
        key="region", label="Region", kind=CustomFieldKind.CHOICE, choices=["EU", "US"]
    )
    # A draft may leave a required field empty; a submission may not.
    draft = await run(gql, world, "user_a", SAVE_DRAFT, input=form())
    errors = await refused(gql, world, "user_a", SUBMIT_DRAFT, id=draft["id"])
    assert [e["field"] for e in errors] == ["customFields.seats"]
    bad = [{"key": "seats", "value": "many"}, {"key": "region", "value": "APAC"}]
    errors = await refused(
        gql, world, "user_a", SUBMIT_DRAFT, id=draft["id"], input={"customFields": bad}
    )
    assert {e["field"] for e in errors} == {"customFields.seats", "customFields.region"}
    unknown = [{"key": "colour", "value": "red"}]
    assert await codes(
        gql, world, "user_a", UPDATE, id=draft["id"], input={"customFields": unknown}
    ) == {"INVALID"}
    good = [{"key": "seats", "value": "120"}, {"key": "region", "value": "EU"}]
    result = await run(
        gql, world, "user_a", SUBMIT_DRAFT, id=draft["id"], input={"customFields": good}
    )
    assert result["customFields"] == [
        {"key": "region", "value": "EU"},
        {"key": "seats", "value": "120"},
    ]


async def test_review_approves_with_protection_and_only_reviewers_may(world, gql) -> None:
    registration = await submitted(gql, world)
    rid = registration["id"]
    for who in ("user_a", "admin_a"):
        assert await codes(gql, world, who, APPROVE, id=rid) == {"FORBIDDEN"}
    for who in ("user_b", "admin_b"):
        assert await codes(gql, world, who, APPROVE, id=rid) == {"NOT_FOUND"}
    assert await codes(gql, world, "manager", APPROVE, id=rid, days=0) == {"INVALID"}
    assert await codes(gql, world, "manager", APPROVE, id=rid, days=731) == {"INVALID"}
    result = await run(gql, world, "manager", APPROVE, id=rid, note="Welcome")
    assert result["status"] == "APPROVED"
    assert not result["autoApproved"]
    row = await DealRegistration.get(id=pk_of(rid))
    days = (await current_settings()).protection_days
    assert row.protected_until == row.decided_at + timedelta(days=days)
    assert await codes(gql, world, "vendor_admin", APPROVE, id=rid) == {"INVALID"}
    assert await codes(gql, world, "vendor_admin", REJECT, id=rid, reason="x") == {"INVALID"}
    [*_, entry] = await history_of(gql, world, "manager", rid)
    assert entry["kind"] == "APPROVED"
    assert entry["protectionDays"] == days
    assert entry["actor"] == {"email": "manager@vendor.test"}
    assert entry["reason"] == "Welcome"
    # The partner sees that it was approved (by the vendor, whose staff it does not list).
    [*_, seen] = await history_of(gql, world, "user_a", rid)
    assert seen["kind"] == "APPROVED"
    assert seen["actor"] is None
    assert not seen["automatic"]


async def test_reject_needs_a_reason_and_is_final(world, gql) -> None:
    rid = (await submitted(gql, world))["id"]
    assert await codes(gql, world, "vendor_admin", REJECT, id=rid, reason=" ") == {"INVALID"}
    result = await run(gql, world, "vendor_admin", REJECT, id=rid, reason="Existing customer")
    assert result["status"] == "REJECTED"
    assert result["rejectionReason"] == "Existing customer"
    assert await codes(gql, world, "vendor_admin", APPROVE, id=rid) == {"INVALID"}
    assert await codes(gql, world, "user_a", RESUBMIT, id=rid, answer="Please") == {"INVALID"}


async def test_information_requested_then_answered_and_resubmitted(world, gql) -> None:
    rid = (await submitted(gql, world))["id"]
    assert await codes(gql, world, "user_a", REQUEST_INFO, id=rid, message="Why?") == {"FORBIDDEN"}
    asked = await run(gql, world, "manager", REQUEST_INFO, id=rid, message="Which plan?")
    assert asked["status"] == "INFO_REQUESTED"
    assert asked["infoRequest"] == "Which plan?"
    assert await codes(gql, world, "vendor_admin", APPROVE, id=rid) == {"INVALID"}
    # Any user of the partner may edit it now; the answer is required to resubmit.
    edited = await run(gql, world, "admin_a", UPDATE, id=rid, input={"products": "Enterprise"})
    assert edited["status"] == "INFO_REQUESTED"
    assert await codes(gql, world, "user_a", RESUBMIT, id=rid, answer="") == {"INVALID"}
    assert await codes(gql, world, "user_b", RESUBMIT, id=rid, answer="x") == {"NOT_FOUND"}
    again = await run(
        gql, world, "user_a", RESUBMIT, id=rid, answer="Enterprise, 3 years", input={}
    )
    assert again["status"] == "SUBMITTED"
    assert again["products"] == "Enterprise"
    assert again["submittedAt"] > again["firstSubmittedAt"]
    history = await history_of(gql, world, "vendor_admin", rid)
    assert [e["kind"] for e in history] == ["SUBMITTED", "INFO_REQUESTED", "UPDATED", "RESUBMITTED"]
    assert history[1]["reason"] == "Which plan?"
    assert history[3]["reason"] == "Enterprise, 3 years"
    assert history[2]["changedFields"] == ["products"]


async def test_one_extension_may_be_requested_and_granted_or_declined(world, gql) -> None:
    first = await approved(gql, world)
    assert await codes(gql, world, "user_a", GRANT_EXTENSION, id=first["id"]) == {"FORBIDDEN"}
    assert await codes(gql, world, "manager", GRANT_EXTENSION, id=first["id"]) == {"INVALID"}
    assert await codes(
        gql, world, "vendor_admin", REQUEST_EXTENSION, id=first["id"], reason="More time"
    ) == {"FORBIDDEN"}
    asked = await run(gql, world, "user_a", REQUEST_EXTENSION, id=first["id"], reason="Budget")
    assert asked["extensionState"] == "REQUESTED"
    assert asked["extensionReason"] == "Budget"
    assert await codes(
        gql, world, "admin_a", REQUEST_EXTENSION, id=first["id"], reason="Again"
    ) == {"INVALID"}
    before = (await DealRegistration.get(id=pk_of(first["id"]))).protected_until
    granted = await run(gql, world, "manager", GRANT_EXTENSION, id=first["id"])
    assert granted["extensionState"] == "GRANTED"
    after = (await DealRegistration.get(id=pk_of(first["id"]))).protected_until
    assert before is not None
    assert after == before + timedelta(days=(await current_settings()).extension_days)
    assert await codes(
        gql, world, "user_a", REQUEST_EXTENSION, id=first["id"], reason="Once more"
    ) == {"INVALID"}
    second = await approved(gql, world, companyName="Second Co")
    await run(gql, world, "user_a", REQUEST_EXTENSION, id=second["id"], reason="Please")
    declined = await run(
        gql, world, "vendor_admin", DECLINE_EXTENSION, id=second["id"], reason="No"
    )
    assert declined["extensionState"] == "DECLINED"
    assert declined["protectedUntil"] == second["protectedUntil"]
    kinds = [e["kind"] for e in await history_of(gql, world, "user_a", second["id"])]
    assert kinds[-2:] == ["EXTENSION_REQUESTED", "EXTENSION_DECLINED"]


async def test_approval_with_a_customer_opens_a_deal_and_marking_won_creates_the_commission(
    world, gql
) -> None:
    customer = await make_customer(world.partner_a, "Northwind Traders", fixed_now())
    customer_id = gid("Customer", customer.id)
    registration = await approved(gql, world, customerId=customer_id)
    assert registration["customer"] == {"id": customer_id, "name": "Northwind Traders"}
    assert registration["deal"]["status"] == "OPEN"
    assert registration["deal"]["amount"] == "24000.00"
    rid = registration["id"]
    for who in ("user_a", "manager"):
        assert await codes(gql, world, who, MARK_WON, id=rid) == {"FORBIDDEN"}
    won = await run(gql, world, "vendor_admin", MARK_WON, id=rid)
    assert won["status"] == "WON"
    assert won["deal"]["status"] == "WON"
    commission = await Commission.get(deal_id=pk_of(registration["deal"]["id"]))
    assert commission.base_amount == Decimal("24000.00")
    assert await codes(gql, world, "user_a", MARK_LOST, id=rid, reason="x") == {"INVALID"}
    [*_, entry] = await history_of(gql, world, "user_a", rid)
    assert entry["kind"] == "WON"


async def test_marking_won_needs_the_customer_linked_first(world, gql) -> None:
    registration = await approved(gql, world)
    assert registration["deal"] is None
    errors = await refused(gql, world, "vendor_admin", MARK_WON, id=registration["id"])
    assert errors == [{"field": "id", "message": "Link the customer first.", "code": "INVALID"}]
    foreign = await make_customer(world.partner_b, "Beta Customer", fixed_now())
    assert await codes(
        gql,
        world,
        "user_a",
        LINK_CUSTOMER,
        id=registration["id"],
        customer=gid("Customer", foreign.id),
    ) == {"NOT_FOUND"}
    customer = await make_customer(world.partner_a, "Northwind Traders", fixed_now())
    linked = await run(
        gql,
        world,
        "user_a",
        LINK_CUSTOMER,
        id=registration["id"],
        customer=gid("Customer", customer.id),
    )
    assert linked["deal"]["status"] == "OPEN"
    won = await run(gql, world, "vendor_admin", MARK_WON, id=registration["id"])
    assert won["status"] == "WON"


async def test_convert_trial_to_paid_wins_the_registration_and_creates_the_commission(
    world, gql
) -> None:
    customer = await make_customer(world.partner_a, "Northwind Traders", fixed_now())
    registration = await approved(gql, world, customerId=gid("Customer", customer.id))
    conversion = await run(gql, world, "user_a", CONVERT, customer=gid("Customer", customer.id))
    assert conversion["deal"]["id"] == registration["deal"]["id"]
    assert conversion["commission"]["amount"]
    after = await run(gql, world, "user_a", ONE, id=registration["id"])
    assert after["status"] == "WON"
    assert after["closedAt"] is not None
    event = (
        await DealRegistrationEvent.filter(registration_id=pk_of(registration["id"]))
        .order_by("-id")
        .first()
    )
    assert event is not None
    assert event.kind == "won"
    assert event.details["deal"] == pk_of(registration["deal"]["id"])


async def test_lost_by_the_partner_or_a_reviewer_loses_the_deal_too(world, gql) -> None:
    customer = await make_customer(world.partner_a, "Northwind Traders", fixed_now())
    registration = await approved(gql, world, customerId=gid("Customer", customer.id))
    assert await codes(gql, world, "user_a", MARK_LOST, id=registration["id"], reason="") == {
        "INVALID"
    }
    lost = await run(gql, world, "user_a", MARK_LOST, id=registration["id"], reason="Budget")
    assert lost["status"] == "LOST"
    assert lost["lostReason"] == "Budget"
    deal = await Deal.get(id=pk_of(registration["deal"]["id"]))
    assert deal.status is DealStatus.LOST
    assert deal.lost_reason == "Budget"
    other = await approved(gql, world, companyName="Other Co")
    by_manager = await run(gql, world, "manager", MARK_LOST, id=other["id"], reason="Went dark")
    assert by_manager["status"] == "LOST"
    assert await codes(gql, world, "manager", MARK_LOST, id=other["id"], reason="x") == {"INVALID"}
