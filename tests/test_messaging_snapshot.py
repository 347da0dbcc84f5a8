"""A pop-up's recipient snapshot is written by the database in one statement, and audited once.

- The snapshot is an `INSERT INTO ... SELECT` of the eligible users: the same users the
  eligibility rules pick (locale narrowing included, with the user's locale normalised like
  `normalise_locale`), with their partner and email, unread, stamped now.
- The audit log records it as one entry of the publishing call: the message's `recipients`,
  how many; no entry per snapshot row. The call's other entries (the status change) stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.audit import AuditEntry
from models.enums import PartnerStatus, Role
from models.messaging import Message, MessageRecipient
from models.users import User
from services.messaging.audience import eligible_users, locale_matches
from tests.conftest import GraphQLClient, World, gid, make_partner, make_user, pk_of
from tests.messaging_support import PUBLISH, create_message, make_group, run

AUDIT = """query($objectId: ID!) { auditLog(objectId: $objectId, first: 100) {
  nodes { operation outcome objectType objectId changes { field oldValue newValue } } } }"""


async def _locale_world() -> dict[str, int]:
    """Partner users with assorted locales (as stored, not all normalised), and some who are
    never eligible; returns user ids by email."""
    partner = await make_partner("Locale Partners")
    gone = await make_partner("Gone Partners", status=PartnerStatus.INACTIVE)
    users = {
        "de@l.test": "de",
        "de-at@l.test": "de-AT",
        "de-underscore@l.test": "DE_at",
        "de-spaced@l.test": " de ",
        "nl-be@l.test": "nl-BE",
        "dex@l.test": "dex",
        "en@l.test": "en",
        "fr@l.test": "fr",
    }
    ids = {}
    for email, locale in users.items():
        ids[email] = (await make_user(email, Role.PARTNER_USER, partner, locale=locale)).id
    await make_user("inactive@l.test", Role.PARTNER_USER, partner, locale="de", is_active=False)
    await make_user("gone@l.test", Role.PARTNER_USER, gone, locale="de")
    await make_user("rep@l.test", Role.PARTNER_USER, partner, locale="de", is_sales_rep=True)
    return ids


async def test_the_snapshot_is_the_eligible_users_locale_rule_included(
    gql: GraphQLClient, world: World
) -> None:
    ids = await _locale_world()
    admin = world.token("vendor_admin")
    popup = await create_message(gql, admin, allPartners=True, locales=["de", "nl"])
    before = datetime.now(UTC) - timedelta(seconds=1)
    published = await run(gql, PUBLISH, admin, id=popup["id"])
    assert published.get("status") == "PUBLISHED", published

    rows = await MessageRecipient.filter(message_id=pk_of(popup["id"])).order_by("id")
    expected = {"de@l.test", "de-at@l.test", "de-underscore@l.test", "de-spaced@l.test"}
    assert {row.email for row in rows} == expected | {"nl-be@l.test"}
    assert {row.user_id for row in rows} == {ids[email] for email in {row.email for row in rows}}  # type: ignore[attr-defined]
    for row in rows:
        assert row.read_at is None
        assert row.outbox_email_id is None
        assert row.partner_id == (await row.user).partner_id  # type: ignore[attr-defined]
        assert before <= row.created_at <= datetime.now(UTC) + timedelta(seconds=1)

    # The SQL rule picks whom the rule for one user (`locale_matches`) picks.
    message = await Message.get(id=pk_of(popup["id"]))
    chosen = await eligible_users(message)
    assert {user.email for user in chosen} == {row.email for row in rows}
    for user in await User.filter(id__in=list(ids.values())):
        assert (user.email in expected | {"nl-be@l.test"}) == locale_matches(
            user.locale, ["de", "nl"]
        )


async def test_a_group_audience_snapshot_and_its_publication_cursor(
    gql: GraphQLClient, world: World
) -> None:
    admin = world.token("vendor_admin")
    group = await make_group("Alpha only", world.partner_a)
    first = await create_message(gql, admin, groupIds=[gid("PartnerGroup", group.id)])
    second = await create_message(gql, admin, allPartners=True)
    await run(gql, PUBLISH, admin, id=first["id"])
    await run(gql, PUBLISH, admin, id=second["id"])
    first_rows = await MessageRecipient.filter(message_id=pk_of(first["id"])).values_list(
        "id", "email"
    )
    second_rows = await MessageRecipient.filter(message_id=pk_of(second["id"])).values_list(
        "id", "email"
    )
    assert {email for _, email in first_rows} == {world.admin_a.email, world.user_a.email}
    assert {email for _, email in second_rows} == {
        world.admin_a.email,
        world.user_a.email,
        world.admin_b.email,
        world.user_b.email,
    }
    # A later publication's rows all come after the earlier one's (the cursor rule).
    assert max(i for i, _ in first_rows) < min(i for i, _ in second_rows)


async def test_the_snapshot_is_one_audit_entry_of_the_publishing_call(
    gql: GraphQLClient, world: World
) -> None:
    await _locale_world()
    admin = world.token("vendor_admin")
    popup = await create_message(gql, admin, allPartners=True)
    recipients_before = await AuditEntry.filter(object_type="MessageRecipient").count()
    await run(gql, PUBLISH, admin, id=popup["id"])
    count = await MessageRecipient.filter(message_id=pk_of(popup["id"])).count()
    assert count == 4 + 8  # the world's four partner users and the eight above

    entries = (await gql.data(AUDIT, {"objectId": popup["id"]}, token=admin))["auditLog"]["nodes"]
    published = [entry for entry in entries if entry["operation"] == "publishMessage"]
    changes = {
        change["field"]: (change["oldValue"], change["newValue"])
        for entry in published
        for change in entry["changes"]
    }
    assert changes["recipients"] == (None, count)
    assert changes["status"] == ("draft", "published")
    assert all(entry["objectType"] == "PartnerMessage" for entry in published)
    assert await AuditEntry.filter(object_type="MessageRecipient").count() == recipients_before
    publish_calls = await AuditEntry.filter(operation="publishMessage").values_list(
        "call_id", flat=True
    )
    assert len(set(publish_calls)) == 1
    assert len(publish_calls) == len(published) == 2
