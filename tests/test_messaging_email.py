"""An email campaign to a partner group through the outbox and a real SMTP server (aiosmtpd):
who receives it, opens, clicks and bounces in the statistics, and freezing once it is sending."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from models.consent import ConsentAction, ConsentLedgerEntry, ConsentPurpose
from models.enums import Role
from models.messaging import Message, MessageRecipient, MessageStatus
from models.users import User
from services.email.sender import deliver_due_emails
from services.messaging.jobs import run_message_schedule
from settings import Settings
from tests.conftest import GraphQLClient, World, gid, make_settings, make_user, pk_of
from tests.email_sink import SinkBehaviour, SmtpSink
from tests.messaging_support import SEND, UPDATE, create_message, error_codes, make_group, run

BOUNCE_SECRET = "bounce-secret-" + "m" * 20
STATISTICS = """query($id: ID!) { message(id: $id) {
  status
  emailStatistics { recipients sent bounced opened clicked suppressed queued }
  recipients { edges { node { email deliveryState opened clicked bounced
    user { email } partner { name } } } } } }"""


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    behaviour = SinkBehaviour(rcpt_replies={"gone@alpha.test": "550 5.1.1 No such user"})
    with SmtpSink(behaviour=behaviour) as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sink: SmtpSink) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "data",
        SMTP_URL=sink.url,
        MAIL_FROM="Vendor Channel Team <channel@vendor.test>",
        BOUNCE_WEBHOOK_SECRET=BOUNCE_SECRET,
        EMAIL_RETRY_SECONDS="0",
    )


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def test_campaign_reaches_exactly_the_eligible_opted_in_users_with_statistics(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings, sink: SmtpSink
):
    alpha = world.partner_a
    for user in (world.admin_a, world.user_a, world.user_b):  # user_b: another group
        user.supplier_emails_opt_in = True
        await user.save()
    await make_user("gone@alpha.test", Role.PARTNER_USER, alpha, supplier_emails_opt_in=True)
    await make_user("quiet@alpha.test", Role.PARTNER_USER, alpha)  # Supplier Emails off
    await make_user(
        "rep@alpha.test", Role.PARTNER_USER, alpha, supplier_emails_opt_in=True, is_sales_rep=True
    )
    await make_user(
        "owner@alpha.test",
        Role.PARTNER_USER,
        alpha,
        supplier_emails_opt_in=True,
        is_supplier_default_lead_owner=True,
    )
    group = await make_group("Alpha resellers", alpha)
    admin = world.token("vendor_admin")
    email = await create_message(
        gql,
        admin,
        kind="EMAIL",
        title="Partner summit 2027",
        body='<p>Register <a href="https://vendor.test/summit">here</a>.</p><script>x()</script>',
        groupIds=[gid("PartnerGroup", group.id)],
    )
    assert (await run(gql, SEND, admin, id=email["id"]))["status"] == "SENDING"

    # Frozen from SENDING on: the edit is refused and changes nothing.
    refused = await run(gql, UPDATE, admin, id=email["id"], input={"title": "Too late"})
    assert error_codes(refused) == [("status", "INVALID")]
    assert (await Message.get(id=pk_of(email["id"]))).title == "Partner summit 2027"

    report = await deliver_due_emails(settings)
    assert (report.sent, report.bounced) == (2, 1)
    received = {r.recipients[0]: r for r in sink.messages()}
    assert set(received) == {world.admin_a.email, world.user_a.email}
    message = received[world.user_a.email]
    assert message.message["Subject"] == "Partner summit 2027"
    html = message.body("html")
    assert "script" not in html
    assert "Register" in message.body("plain")

    await run_message_schedule(settings)
    assert (await Message.get(id=pk_of(email["id"]))).status is MessageStatus.SENT

    # user_a opens it and clicks the link; admin_a's mail bounces later (a bounce report).
    pixel = re.search(r'src="([^"]+/email/open/[^"]+)"', html)
    link = re.search(r'href="([^"]+/email/click/[^"]+)"', html)
    assert pixel is not None
    assert link is not None
    assert (await http.get(_path(pixel.group(1)))).status_code == 200
    clicked = await http.get(_path(link.group(1).replace("&amp;", "&")))
    assert clicked.status_code == 302
    assert clicked.headers["location"] == "https://vendor.test/summit"
    bounce = await http.post(
        "/email/bounces",
        json={
            "recipient": world.admin_a.email,
            "message_id": received[world.admin_a.email].message_id,
            "type": "permanent",
            "diagnostic": "550 mailbox closed",
        },
        headers={"authorization": f"Bearer {BOUNCE_SECRET}"},
    )
    assert bounce.json()["matched_emails"] == 1

    data = (await gql.data(STATISTICS, {"id": email["id"]}, token=admin))["message"]
    assert data["status"] == "SENT"
    assert data["emailStatistics"] == {
        "recipients": 3,
        "sent": 1,
        "bounced": 2,
        "opened": 1,
        "clicked": 1,
        "suppressed": 0,
        "queued": 0,
    }
    per_recipient = {e["node"]["email"]: e["node"] for e in data["recipients"]["edges"]}
    assert per_recipient[world.user_a.email] == {
        "email": world.user_a.email,
        "deliveryState": "SENT",
        "opened": True,
        "clicked": True,
        "bounced": False,
        "user": {"email": world.user_a.email},
        "partner": {"name": world.partner_a.name},
    }
    assert per_recipient[world.admin_a.email]["bounced"] is True
    assert per_recipient["gone@alpha.test"]["deliveryState"] == "BOUNCED"
    assert set(per_recipient) == {world.admin_a.email, world.user_a.email, "gone@alpha.test"}
    # Partner users cannot read campaign statistics.
    body = await gql.request(STATISTICS, {"id": email["id"]}, token=world.token("admin_a"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await User.get(email="quiet@alpha.test")).supplier_emails_opt_in is False


async def test_unsubscribe_link_turns_supplier_emails_off_with_a_ledger_entry(
    gql: GraphQLClient, http: httpx.AsyncClient, world: World, settings: Settings, sink: SmtpSink
):
    await User.filter(id=world.user_a.id).update(supplier_emails_opt_in=True)
    admin = world.token("vendor_admin")
    email = await create_message(gql, admin, kind="EMAIL", allPartners=True)
    await run(gql, SEND, admin, id=email["id"])
    await deliver_due_emails(settings)
    (received,) = sink.messages()
    unsubscribe = received.message["List-Unsubscribe"].strip("<>")
    response = await http.post(_path(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert (await User.get(id=world.user_a.id)).supplier_emails_opt_in is False
    entries = await ConsentLedgerEntry.filter(subject_email=world.user_a.email)
    assert [(e.purpose, e.action, e.details["via"]) for e in entries] == [
        (ConsentPurpose.SUPPLIER_EMAILS, ConsentAction.OPT_OUT, "unsubscribe link")
    ]
    # The next campaign does not go to the user any more.
    second = await create_message(gql, admin, kind="EMAIL", allPartners=True)
    await run(gql, SEND, admin, id=second["id"])
    assert await MessageRecipient.filter(message_id=pk_of(second["id"])).count() == 0
