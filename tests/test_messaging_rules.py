"""Partner messages: authorisation, sanitising, eligibility, freezing, scheduling, message centre,
Supplier Emails preference and portal terms (through the GraphQL API, on a real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.consent import ConsentLedgerEntry, ConsentPurpose, ConsentSource
from models.enums import PartnerStatus, Role
from models.messaging import Message, MessageRecipient, MessageStatus, PortalTermsAcceptance
from models.outbox import OutboxEmail
from models.users import User
from models.vendor import VendorSettings
from services.messaging.jobs import run_message_schedule
from settings import Settings
from tests.conftest import (
    GraphQLClient,
    World,
    count_statements,
    gid,
    make_partner,
    make_user,
    pk_of,
    token_for,
)
from tests.messaging_support import (
    CENTRE,
    COPY,
    CREATE,
    MARK_READ,
    PUBLISH,
    READ_COUNTS,
    RETURN_TO_DRAFT,
    SCHEDULE,
    SEND,
    UPDATE,
    create_message,
    error_codes,
    make_group,
    message_input,
    run,
)

PREFERENCES = """mutation($on: Boolean!) { notificationPreferences(supplierEmails: $on) {
  ... on NotificationPreferences { supplierEmails }
  ... on OperationErrors { errors { field code } } } }"""
ACCEPT_TERMS = """mutation($v: String!) { acceptPortalTerms(version: $v) {
  ... on NotificationPreferences { supplierEmails }
  ... on OperationErrors { errors { field code } } } }"""


def _future(minutes: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def _recipient_emails(message_id: str) -> set[str]:
    return set(
        await MessageRecipient.filter(message_id=pk_of(message_id)).values_list("email", flat=True)
    )


# ---- authorisation --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "admin_a", "user_a"])
async def test_only_vendor_admins_create_and_manage_messages(
    gql: GraphQLClient, world: World, who: str
):
    admin = world.token("vendor_admin")
    popup = await create_message(gql, admin, allPartners=True)
    token = world.token(who)
    body = await gql.request(CREATE, {"input": message_input(allPartners=True)}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for document, variables in [
        (UPDATE, {"id": popup["id"], "input": {"title": "Hijacked"}}),
        (SCHEDULE, {"id": popup["id"], "at": _future()}),
        (PUBLISH, {"id": popup["id"]}),
        (SEND, {"id": popup["id"]}),
        (RETURN_TO_DRAFT, {"id": popup["id"]}),
        (COPY, {"id": popup["id"]}),
        (READ_COUNTS, {"id": popup["id"]}),
        ("query { messages { edges { node { id } } } }", {}),
    ]:
        body = await gql.request(document, variables, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", document
    assert await Message.all().count() == 1
    stored = await Message.get(id=pk_of(popup["id"]))
    assert stored.title == "Partner summit"
    assert stored.status is MessageStatus.DRAFT
    assert await MessageRecipient.all().count() == 0


async def test_anonymous_callers_get_nothing(gql: GraphQLClient, world: World):
    for document in (CENTRE, "query { messages { edges { node { id } } } }"):
        body = await gql.request(document, {})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_vendor_staff_have_no_message_centre_or_preferences(gql: GraphQLClient, world: World):
    body = await gql.request(CENTRE, {}, token=world.token("vendor_admin"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    result = await run(gql, PREFERENCES, world.token("manager"), on=True)
    assert error_codes(result) == [(None, "FORBIDDEN")]
    await VendorSettings.create(
        id=1, portal_terms_version="1", portal_terms_opt_in_supplier_emails=True
    )
    result = await run(gql, ACCEPT_TERMS, world.token("vendor_admin"), v="1")
    assert error_codes(result) == [(None, "FORBIDDEN")]
    body = await gql.request("{ messageCentre { unreadCount } }", token=world.token("manager"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] == {"messageCentre": None}
    popup = await create_message(gql, world.token("vendor_admin"), allPartners=True)
    await run(gql, PUBLISH, world.token("vendor_admin"), id=popup["id"])
    result = await run(gql, MARK_READ, world.token("vendor_admin"), id=popup["id"])
    assert error_codes(result) == [(None, "FORBIDDEN")]
    assert await MessageRecipient.filter(read_at__isnull=False).count() == 0
    assert await ConsentLedgerEntry.all().count() == 0
    assert await PortalTermsAcceptance.all().count() == 0


# ---- input ----------------------------------------------------------------------------------


async def test_body_is_reduced_to_a_safe_html_subset(gql: GraphQLClient, world: World):
    body = (
        '<p onclick="steal()">Hello <script>alert(1)</script><b>partners</b></p>'
        '<a href="javascript:alert(1)">bad</a><a href="https://vendor.test/x">good</a>'
        '<img src="https://vendor.test/i.png" onerror="x()"><style>p{}</style><iframe></iframe>'
    )
    created = await create_message(gql, world.token("vendor_admin"), body=body, allPartners=True)
    html = created["bodyHtml"]
    for forbidden in ("script", "onclick", "javascript:", "onerror", "<style", "iframe"):
        assert forbidden not in html
    assert "<b>partners</b>" in html
    assert 'href="https://vendor.test/x"' in html
    assert '<img src="https://vendor.test/i.png">' in html


async def test_invalid_input_is_refused_and_writes_nothing(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    for overrides, field in [
        ({"title": "   "}, "title"),
        ({"body": "<script>only()</script>"}, "body"),
        ({"language": "english!"}, "language"),
        ({"pages": ["<bad page>"]}, "pages"),
        ({"groupIds": ["999999"]}, "groupIds"),
        ({"kind": "EMAIL", "pages": ["dashboard"]}, "pages"),
    ]:
        result = await run(gql, CREATE, admin, input=message_input(**overrides))
        assert (field, "INVALID") in error_codes(result), (overrides, result)
    assert await Message.all().count() == 0


# ---- eligibility ----------------------------------------------------------------------------


async def _audience(settings: Settings) -> dict[str, User]:
    """Partners in and out of the target group, and users each excluded by one rule."""
    active = await make_partner("Active Co")
    testing = await make_partner("Testing Co", status=PartnerStatus.TEST)
    inactive = await make_partner("Inactive Co", status=PartnerStatus.INACTIVE)
    outsider = await make_partner("Outside Co")
    users = {
        "active_admin": await make_user("admin@active.test", Role.PARTNER_ADMIN, active),
        "active_user": await make_user("user@active.test", Role.PARTNER_USER, active),
        "test_user": await make_user("user@testing.test", Role.PARTNER_USER, testing),
        "german": await make_user("de@active.test", Role.PARTNER_USER, active, locale="de-AT"),
        "opted_out": await make_user("quiet@active.test", Role.PARTNER_USER, active),
        "sales_rep": await make_user("rep@active.test", Role.PARTNER_USER, active),
        "lead_owner": await make_user("owner@active.test", Role.PARTNER_USER, active),
        "inactive_partner": await make_user("user@inactive.test", Role.PARTNER_USER, inactive),
        "other_group": await make_user("user@outside.test", Role.PARTNER_USER, outsider),
        "deactivated": await make_user("gone@active.test", Role.PARTNER_USER, active),
    }
    for name, user in users.items():
        user.supplier_emails_opt_in = name != "opted_out"
        user.is_sales_rep = name == "sales_rep"
        user.is_supplier_default_lead_owner = name == "lead_owner"
        user.is_active = name != "deactivated"
        await user.save()
    await make_group("Resellers", active, testing, inactive)
    return users


async def test_email_eligibility(gql: GraphQLClient, world: World, settings: Settings):
    users = await _audience(settings)
    group = await make_group("Only resellers group")
    from models.partners import PartnerGroupMember

    for partner_id in {u.partner_id for u in users.values()} - {users["other_group"].partner_id}:
        await PartnerGroupMember.create(group=group, partner_id=partner_id)
    admin = world.token("vendor_admin")
    email = await create_message(gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)])
    sent = await run(gql, SEND, admin, id=email["id"])
    assert sent["status"] == "SENDING"
    expected = {"admin@active.test", "user@active.test", "user@testing.test", "de@active.test"}
    assert await _recipient_emails(email["id"]) == expected
    outbox = await OutboxEmail.filter(reference=f"message:{pk_of(email['id'])}").values_list(
        "recipient", "category", "source"
    )
    assert {row[0] for row in outbox} == expected
    assert {(row[1], row[2]) for row in outbox} == {("marketing", "partner_message")}

    # Narrowed by locale: only the German-speaking user.
    german = await create_message(
        gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)], locales=["de"]
    )
    await run(gql, SEND, admin, id=german["id"])
    assert await _recipient_emails(german["id"]) == {"de@active.test"}


async def test_popup_eligibility_needs_no_opt_in(
    gql: GraphQLClient, world: World, settings: Settings
):
    users = await _audience(settings)
    admin = world.token("vendor_admin")
    popup = await create_message(gql, admin, allPartners=True)
    await run(gql, PUBLISH, admin, id=popup["id"])
    expected = {
        "admin@active.test",
        "user@active.test",
        "user@testing.test",
        "de@active.test",
        "quiet@active.test",
        "user@outside.test",
        # The world's partners are active too.
        world.admin_a.email,
        world.user_a.email,
        world.admin_b.email,
        world.user_b.email,
    }
    assert await _recipient_emails(popup["id"]) == expected
    assert users["sales_rep"].email not in expected


async def test_the_snapshot_is_frozen_at_publication(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    group = await make_group("Alpha only", world.partner_a)
    popup = await create_message(gql, admin, groupIds=[gid("PartnerGroup", group.id)])
    await run(gql, PUBLISH, admin, id=popup["id"])
    before = await _recipient_emails(popup["id"])
    assert before == {world.admin_a.email, world.user_a.email}
    # Later changes to users or groups do not change who received it.
    await make_user("late@alpha.test", Role.PARTNER_USER, world.partner_a)
    await User.filter(id=world.user_a.id).update(is_sales_rep=True)
    assert await _recipient_emails(popup["id"]) == before


# ---- lifecycle and freezing -----------------------------------------------------------------


async def test_email_is_frozen_from_sending_and_copy_makes_a_draft(
    gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    group = await make_group("Alpha", world.partner_a)
    email = await create_message(gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)])
    # A scheduled email can still be changed, audience included.
    scheduled = await run(gql, SCHEDULE, admin, id=email["id"], at=_future())
    assert scheduled["status"] == "SCHEDULED"
    changed = await run(gql, UPDATE, admin, id=email["id"], input={"allPartners": True})
    assert changed["allPartners"] is True
    # Someone to send it to (an email to nobody is refused, see test_messaging_audience.py).
    await User.filter(id=world.user_b.id).update(supplier_emails_opt_in=True)
    assert (await run(gql, SEND, admin, id=email["id"]))["status"] == "SENDING"

    for changes in ({"title": "Changed"}, {"groupIds": []}, {"body": "<p>new</p>"}):
        refused = await run(gql, UPDATE, admin, id=email["id"], input=changes)
        assert error_codes(refused) == [("status", "INVALID")]
        assert "Copy it" in refused["errors"][0]["message"]
    assert error_codes(await run(gql, SEND, admin, id=email["id"])) == [("status", "INVALID")]
    assert error_codes(await run(gql, RETURN_TO_DRAFT, admin, id=email["id"])) == [
        ("status", "INVALID")
    ]
    stored = await Message.get(id=pk_of(email["id"]))
    assert stored.title == "Partner summit"
    assert stored.status is MessageStatus.SENDING

    copy = await run(gql, COPY, admin, id=email["id"])
    assert copy["status"] == "DRAFT"
    assert copy["copiedFromId"] == email["id"]
    assert copy["title"] == "Partner summit"
    assert copy["allPartners"] is True
    assert (await run(gql, UPDATE, admin, id=copy["id"], input={"title": "Fixed"}))["title"] == (
        "Fixed"
    )


async def test_popup_audience_is_frozen_once_scheduled(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    beta = await make_group("Beta", world.partner_b)
    popup = await create_message(gql, admin, groupIds=[gid("PartnerGroup", alpha.id)])
    await run(gql, SCHEDULE, admin, id=popup["id"], at=_future())

    for changes in (
        {"groupIds": [gid("PartnerGroup", beta.id)]},
        {"allPartners": True},
        {"locales": ["nl"]},
    ):
        refused = await run(gql, UPDATE, admin, id=popup["id"], input=changes)
        assert error_codes(refused) == [("to", "INVALID")]
    # Content can still be changed while scheduled.
    retitled = await run(gql, UPDATE, admin, id=popup["id"], input={"title": "New date"})
    assert retitled["title"] == "New date"
    assert [g["id"] for g in retitled["groups"]] == [gid("PartnerGroup", alpha.id)]

    # Return to draft: the audience can change again.
    draft = await run(gql, RETURN_TO_DRAFT, admin, id=popup["id"])
    assert draft["status"] == "DRAFT"
    assert draft["scheduledAt"] is None
    widened = await run(
        gql,
        UPDATE,
        admin,
        id=popup["id"],
        input={"groupIds": [gid("PartnerGroup", alpha.id), gid("PartnerGroup", beta.id)]},
    )
    assert {g["id"] for g in widened["groups"]} == {
        gid("PartnerGroup", alpha.id),
        gid("PartnerGroup", beta.id),
    }

    published = await run(gql, PUBLISH, admin, id=popup["id"])
    assert published["status"] == "PUBLISHED"
    refused = await run(gql, UPDATE, admin, id=popup["id"], input={"groupIds": []})
    assert error_codes(refused) == [("to", "INVALID")]
    assert error_codes(await run(gql, RETURN_TO_DRAFT, admin, id=popup["id"])) == [
        ("status", "INVALID")
    ]
    assert error_codes(await run(gql, PUBLISH, admin, id=popup["id"])) == [("status", "INVALID")]
    copy = await run(gql, COPY, admin, id=popup["id"])
    assert copy["status"] == "DRAFT"
    assert {g["id"] for g in copy["groups"]} == {
        gid("PartnerGroup", alpha.id),
        gid("PartnerGroup", beta.id),
    }


async def test_sending_needs_an_audience_and_pages(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    no_audience = await create_message(gql, admin, kind="EMAIL")
    assert error_codes(await run(gql, SEND, admin, id=no_audience["id"])) == [("to", "INVALID")]
    no_pages = await create_message(gql, admin, allPartners=True, pages=[])
    assert error_codes(await run(gql, PUBLISH, admin, id=no_pages["id"])) == [("pages", "INVALID")]
    past = await run(gql, SCHEDULE, admin, id=no_pages["id"], at=_future(-5))
    assert error_codes(past) == [("at", "INVALID")]
    assert error_codes(await run(gql, PUBLISH, admin, id=no_audience["id"])) == [("id", "INVALID")]
    assert await Message.filter(status=MessageStatus.DRAFT).count() == 2


async def test_scheduled_messages_go_out_and_pop_ups_expire_by_the_worker_job(
    gql: GraphQLClient, world: World, settings: Settings
):
    admin = world.token("vendor_admin")
    await User.filter(id=world.user_a.id).update(supplier_emails_opt_in=True)
    ends = datetime.now(UTC) + timedelta(hours=2)
    popup = await create_message(gql, admin, allPartners=True, endsAt=ends.isoformat())
    email = await create_message(gql, admin, kind="EMAIL", allPartners=True)
    at = datetime.now(UTC) + timedelta(minutes=10)
    for message in (popup, email):
        await run(gql, SCHEDULE, admin, id=message["id"], at=at.isoformat())

    early = await run_message_schedule(settings, now=at - timedelta(seconds=1))
    assert (early.sent, early.published) == ([], [])
    report = await run_message_schedule(settings, now=at + timedelta(seconds=1))
    assert report.published == [pk_of(popup["id"])]
    assert report.sent == [pk_of(email["id"])]
    assert (await Message.get(id=pk_of(email["id"]))).status is MessageStatus.SENDING
    assert await _recipient_emails(email["id"]) == {world.user_a.email}
    assert len(await _recipient_emails(popup["id"])) == 4
    # Running again sends nothing twice.
    again = await run_message_schedule(settings, now=at + timedelta(seconds=2))
    assert (again.sent, again.published) == ([], [])
    assert await OutboxEmail.filter(reference=f"message:{pk_of(email['id'])}").count() == 1

    # Once the outbox delivered the email, it is SENT. After its end date the pop-up expires.
    await OutboxEmail.filter(reference=f"message:{pk_of(email['id'])}").update(state="sent")
    later = await run_message_schedule(settings, now=ends + timedelta(seconds=1))
    assert later.expired == 1
    assert later.finished == 1
    assert (await Message.get(id=pk_of(email["id"]))).status is MessageStatus.SENT
    assert (await Message.get(id=pk_of(popup["id"]))).status is MessageStatus.EXPIRED


# ---- message centre and read state ----------------------------------------------------------


async def test_message_centre_read_state_and_counts(gql: GraphQLClient, world: World):
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    ids = []
    for title in ("First", "Second", "Third"):
        popup = await create_message(
            gql, admin, title=title, groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await run(gql, PUBLISH, admin, id=popup["id"])
        ids.append(popup["id"])
    draft = await create_message(
        gql, admin, title="Not yet", groupIds=[gid("PartnerGroup", alpha.id)]
    )

    user_a = world.token("user_a")
    centre = (await gql.data(CENTRE, {"first": 2}, token=user_a))["messageCentre"]
    assert centre["id"] == gid("MessageCentre", world.user_a.id)
    assert centre["unreadCount"] == 3
    page = centre["popups"]
    assert [e["node"]["title"] for e in page["edges"]] == ["Third", "Second"]
    # A pop-up's id names its message (the viewer's own state of it).
    assert [e["node"]["id"] for e in page["edges"]] == [
        gid("ReceivedPopup", pk_of(ids[2])),
        gid("ReceivedPopup", pk_of(ids[1])),
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.data(CENTRE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=user_a)
    )["messageCentre"]["popups"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["First"]
    assert rest["pageInfo"]["hasNextPage"] is False

    # Marked by the pop-up's own id: the result carries the same pop-up id with its readAt and
    # the same message centre id with the new unread count (what a client cache updates).
    popup_id = gid("ReceivedPopup", pk_of(ids[1]))
    marked = await run(gql, MARK_READ, user_a, id=popup_id)
    assert marked["popup"]["id"] == popup_id
    assert marked["popup"]["readAt"] is not None
    assert marked["messageCentre"] == {"id": centre["id"], "unreadCount": 2}
    again = await run(gql, MARK_READ, user_a, id=ids[1])  # a PartnerMessage id works too
    assert again["popup"] == marked["popup"]
    counts = (await gql.data(READ_COUNTS, {"id": ids[1]}, token=admin))["message"]["readCounts"]
    assert counts == {"recipients": 2, "read": 1, "unread": 1}
    unread = await gql.data("{ messageCentre { unreadCount } }", token=user_a)
    assert unread["messageCentre"]["unreadCount"] == 2
    # node(id) gives the same objects back, as the viewer's own state.
    nodes = await gql.data(
        """query($ids: [ID!]!) { nodes(ids: $ids) { id
          ... on ReceivedPopup { readAt } ... on MessageCentre { unreadCount } } }""",
        {"ids": [popup_id, centre["id"]]},
        token=user_a,
    )
    assert nodes["nodes"] == [
        {"id": popup_id, "readAt": marked["popup"]["readAt"]},
        {"id": centre["id"], "unreadCount": 2},
    ]

    # Another partner's user, and a draft, cannot be marked; nothing changes.
    for token, message_id in ((world.token("user_b"), ids[0]), (user_a, draft["id"])):
        refused = await run(gql, MARK_READ, token, id=message_id)
        assert error_codes(refused) == [("id", "NOT_FOUND")]
    other = (await gql.data(CENTRE, {}, token=world.token("user_b")))["messageCentre"]
    assert other["popups"]["edges"] == []
    # Someone else's pop-up state or message centre is not found by its id either.
    for foreign in (popup_id, centre["id"]):
        body = await gql.request(
            "query($id: ID!) { node(id: $id) { id } }", {"id": foreign}, token=world.token("user_b")
        )
        assert body["data"] == {"node": None}
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await MessageRecipient.filter(read_at__isnull=False).count() == 1


# ---- Supplier Emails preference and portal terms --------------------------------------------


async def test_supplier_emails_preference_is_own_and_recorded(
    gql: GraphQLClient, world: World, settings: Settings
):
    user_a = world.token("user_a")
    assert world.user_a.supplier_emails_opt_in is False  # new users start opted out
    assert (await run(gql, PREFERENCES, user_a, on=True)) == {"supplierEmails": True}
    assert (await User.get(id=world.user_a.id)).supplier_emails_opt_in is True
    assert (await run(gql, PREFERENCES, user_a, on=True)) == {"supplierEmails": True}
    assert (await run(gql, PREFERENCES, user_a, on=False)) == {"supplierEmails": False}
    entries = await ConsentLedgerEntry.filter(subject_email=world.user_a.email).order_by("id")
    assert [(e.purpose, e.action, e.source) for e in entries] == [
        (ConsentPurpose.SUPPLIER_EMAILS, "opt_in", ConsentSource.SELF_SERVICE),
        (ConsentPurpose.SUPPLIER_EMAILS, "opt_out", ConsentSource.SELF_SERVICE),
    ]
    assert entries[0].partner_id == world.partner_a.id
    # The ledger says where the change came from: the test client's address and user agent.
    assert entries[0].client_address == "10.0.0.1"
    assert entries[0].user_agent.startswith("python-httpx/")
    # Nobody else's preference moved.
    assert (await User.get(id=world.user_b.id)).supplier_emails_opt_in is False


@pytest.mark.parametrize("declares_opt_in", [True, False])
async def test_accepting_portal_terms(
    gql: GraphQLClient, world: World, settings: Settings, declares_opt_in: bool
):
    await VendorSettings.create(
        id=1, portal_terms_version="2026-1", portal_terms_opt_in_supplier_emails=declares_opt_in
    )
    user_b = await token_for(settings, world.user_b)
    wrong = await run(gql, ACCEPT_TERMS, user_b, v="2025-9")
    assert error_codes(wrong) == [("version", "INVALID")]
    accepted = await run(gql, ACCEPT_TERMS, user_b, v="2026-1")
    assert accepted == {"supplierEmails": declares_opt_in}
    assert await PortalTermsAcceptance.filter(user_id=world.user_b.id).count() == 1
    entries = await ConsentLedgerEntry.filter(subject_email=world.user_b.email)
    if declares_opt_in:
        assert [(e.action, e.source, e.consent_text_version) for e in entries] == [
            ("opt_in", ConsentSource.TERMS_ACCEPTANCE, "2026-1")
        ]
    else:
        assert entries == []
    assert (await run(gql, ACCEPT_TERMS, user_b, v="2026-1")) == accepted
    assert await PortalTermsAcceptance.filter(user_id=world.user_b.id).count() == 1


async def test_recipient_links_cost_the_same_statements_whatever_the_page_size(
    gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    popup = await create_message(gql, admin, allPartners=True)
    await run(gql, PUBLISH, admin, id=popup["id"])
    query = """query($id: ID!, $first: Int) { message(id: $id) { recipients(first: $first) {
      nodes { id email user { id email } partner { id name } } } } }"""
    counts = []
    for size in (1, 3):
        with count_statements() as statements:
            data = await gql.data(query, {"id": popup["id"], "first": size}, token=admin)
        nodes = data["message"]["recipients"]["nodes"]
        assert len(nodes) == size
        assert all(node["user"]["email"] == node["email"] for node in nodes)
        assert all(node["partner"]["id"] for node in nodes)
        counts.append(len(statements))
    assert counts[0] == counts[1]
