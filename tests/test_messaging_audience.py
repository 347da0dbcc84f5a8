"""A message is never reported sent or published to nobody.

- Deleting a partner group that scheduled messages target is refused (IN_USE, with the count).
- Sending or publishing now with an empty audience is refused (NO_RECIPIENTS), nothing written.
- A scheduled message whose audience is empty at its time goes back to DRAFT with a reason the
  vendor admin reads (`notSentReason`), instead of SENT/PUBLISHED to 0 recipients.
- An edit that would leave a scheduled message without an audience is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.messaging import Message, MessageRecipient, MessageStatus
from models.outbox import OutboxEmail
from models.partners import PartnerGroup, PartnerGroupMember
from services.messaging.jobs import run_message_schedule
from settings import Settings
from tests.conftest import GraphQLClient, World, gid, pk_of
from tests.messaging_support import (
    PUBLISH,
    RETURN_TO_DRAFT,
    SCHEDULE,
    SEND,
    UPDATE,
    create_message,
    error_codes,
    make_group,
    run,
)

DELETE_GROUP = """mutation($id: ID!) { deletePartnerGroup(id: $id) {
  __typename ... on OperationErrors { errors { field message code } } } }"""
STATE = "query($id: ID!) { message(id: $id) { status scheduledAt sentAt notSentReason } }"


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


async def _opt_in(world: World) -> None:
    for user in (world.admin_a, world.user_a, world.admin_b, world.user_b):
        user.supplier_emails_opt_in = True
        await user.save()


async def test_deleting_a_group_that_scheduled_messages_target_is_refused(
    world: World, gql: GraphQLClient
):
    await _opt_in(world)
    admin = world.token("vendor_admin")
    group = await make_group("Benelux", world.partner_a)
    email = await create_message(gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)])
    popup = await create_message(gql, admin, kind="POPUP", groupIds=[gid("PartnerGroup", group.id)])
    draft = await create_message(gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)])
    for message in (email, popup):
        assert (await run(gql, SCHEDULE, admin, id=message["id"], at=_soon()))["status"] == (
            "SCHEDULED"
        )

    refused = await run(gql, DELETE_GROUP, admin, id=gid("PartnerGroup", group.id))
    assert refused["__typename"] == "OperationErrors"
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == ("id", "IN_USE")
    assert error["message"].startswith("2 scheduled messages target this group")
    assert await PartnerGroup.exists(id=group.id)
    groups = "query($id: ID!) { message(id: $id) { groups { id } } }"
    for message in (email, popup, draft):
        data = await gql.data(groups, {"id": message["id"]}, token=admin)
        assert data["message"]["groups"] == [{"id": gid("PartnerGroup", group.id)}]

    # Once no scheduled message targets it, it can go (drafts do not hold it).
    for message in (email, popup):
        assert (await run(gql, RETURN_TO_DRAFT, admin, id=message["id"]))["status"] == "DRAFT"
    deleted = await run(gql, DELETE_GROUP, admin, id=gid("PartnerGroup", group.id))
    assert deleted["__typename"] == "Done"
    assert not await PartnerGroup.exists(id=group.id)


async def test_send_now_and_publish_now_refuse_an_empty_audience(world: World, gql: GraphQLClient):
    await _opt_in(world)
    admin = world.token("vendor_admin")
    empty_group = await make_group("Nobody yet")
    nobody_speaks = await create_message(gql, admin, kind="EMAIL", allPartners=True, locales=["fr"])
    no_members = await create_message(
        gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", empty_group.id)]
    )
    popup = await create_message(
        gql, admin, kind="POPUP", groupIds=[gid("PartnerGroup", empty_group.id)]
    )
    for message, document in ((nobody_speaks, SEND), (no_members, SEND), (popup, PUBLISH)):
        refused = await run(gql, document, admin, id=message["id"])
        assert error_codes(refused) == [("to", "NO_RECIPIENTS")]
        assert "Nobody is in the audience" in refused["errors"][0]["message"]
        state = await gql.data(STATE, {"id": message["id"]}, token=admin)
        assert state["message"] == {
            "status": "DRAFT",
            "scheduledAt": None,
            "sentAt": None,
            "notSentReason": None,
        }
    assert await OutboxEmail.all().count() == 0
    assert await MessageRecipient.all().count() == 0

    # With someone in the audience the same email goes out.
    await PartnerGroupMember.create(group=empty_group, partner=world.partner_b)
    assert (await run(gql, SEND, admin, id=no_members["id"]))["status"] == "SENDING"
    assert await OutboxEmail.all().count() == 2


async def test_a_scheduled_message_that_reaches_nobody_at_its_time_returns_to_draft(
    world: World, gql: GraphQLClient, settings: Settings
):
    await _opt_in(world)
    admin = world.token("vendor_admin")
    group = await make_group("Alpha only", world.partner_a)
    email = await create_message(gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)])
    in_french = await create_message(gql, admin, kind="EMAIL", allPartners=True, locales=["fr"])
    popup = await create_message(gql, admin, kind="POPUP", groupIds=[gid("PartnerGroup", group.id)])
    at = datetime.now(UTC) + timedelta(minutes=5)
    for message in (email, in_french, popup):
        scheduled = await run(gql, SCHEDULE, admin, id=message["id"], at=at.isoformat())
        assert scheduled["status"] == "SCHEDULED"
    # Before their time the group loses its only member.
    await PartnerGroupMember.filter(group_id=group.id).delete()

    report = await run_message_schedule(settings, now=at + timedelta(seconds=1))
    assert (report.sent, report.published) == ([], [])
    assert sorted(report.returned_to_draft) == sorted(
        pk_of(m["id"]) for m in (email, in_french, popup)
    )
    for message, verb in ((email, "sent"), (in_french, "sent"), (popup, "published")):
        state = (await gql.data(STATE, {"id": message["id"]}, token=admin))["message"]
        assert (state["status"], state["scheduledAt"], state["sentAt"]) == ("DRAFT", None, None)
        assert state["notSentReason"].startswith(f"Not {verb} at its scheduled time")
        assert "nobody was in its audience" in state["notSentReason"]
    assert await OutboxEmail.all().count() == 0
    assert await MessageRecipient.all().count() == 0
    # A later run changes nothing, and rescheduling clears the reason.
    assert (await run_message_schedule(settings, now=at + timedelta(hours=1))).sent == []
    await PartnerGroupMember.create(group=group, partner=world.partner_a)
    later = datetime.now(UTC) + timedelta(minutes=5)
    await run(gql, SCHEDULE, admin, id=email["id"], at=later.isoformat())
    state = (await gql.data(STATE, {"id": email["id"]}, token=admin))["message"]
    assert (state["status"], state["notSentReason"]) == ("SCHEDULED", None)
    report = await run_message_schedule(settings, now=later + timedelta(seconds=1))
    assert report.sent == [pk_of(email["id"])]
    assert await OutboxEmail.all().count() == 2


async def test_an_edit_that_leaves_a_scheduled_message_without_audience_is_refused(
    world: World, gql: GraphQLClient
):
    admin = world.token("vendor_admin")
    group = await make_group("Alpha", world.partner_a)
    email = await create_message(gql, admin, kind="EMAIL", groupIds=[gid("PartnerGroup", group.id)])
    await run(gql, SCHEDULE, admin, id=email["id"], at=_soon())
    refused = await run(gql, UPDATE, admin, id=email["id"], input={"groupIds": []})
    assert error_codes(refused) == [("to", "INVALID")]
    message = await Message.get(id=pk_of(email["id"]))
    assert message.status is MessageStatus.SCHEDULED
    data = await gql.data(
        "query($id: ID!) { message(id: $id) { groups { id } } }", {"id": email["id"]}, token=admin
    )
    assert data["message"]["groups"] == [{"id": gid("PartnerGroup", group.id)}]


async def test_a_missing_message_is_null_with_an_error_not_a_wiped_response(
    gql: GraphQLClient, world: World
):
    query = "query($id: ID!) { message(id: $id) { id } me { email } }"
    missing = gid("PartnerMessage", 10**6)
    body = await gql.request(query, {"id": missing}, token=world.token("vendor_admin"))
    assert body["data"] == {"message": None, "me": {"email": world.vendor_admin.email}}
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["message"], "NOT_FOUND")
