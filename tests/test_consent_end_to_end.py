"""The whole consent story against real components (SPEC §2).

A partner user registers a lead on a real uvicorn process; the outbox sender delivers the consent
email to a real SMTP server (aiosmtpd); the test follows the link like a browser (the GET shows
the page and changes nothing, the POST of the button approves); a websocket client subscribed to
`leadStatusChanged` on the same server sees the lead arrive pending and then registered, and
another partner's subscriber sees nothing of it.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import websockets

from models.consent import ConsentLedgerEntry, NewsletterSubscriber, SubscriberStatus
from models.leads import Lead, RegistrationStatus
from services.email.sender import deliver_due_emails
from tests.conftest import LiveServer, World, make_settings, pk_of
from tests.email_sink import SmtpSink
from tests.test_consent_registration import REGISTER, forms_of, snapshot

SUBSCRIBE = "subscription { leadStatusChanged { id email status: registrationStatus linked } }"


async def _subscribe(server: LiveServer, token: str) -> Any:
    socket = await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return socket


RECEIVE_TIMEOUT_SECONDS = 10.0


async def _next_lead(socket: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT_SECONDS))
        if message["type"] == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        return message["payload"]["data"]["leadStatusChanged"]


async def _register(server: LiveServer, token: str, email: str, locale: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/graphql",
            json={"query": REGISTER, "variables": {"input": {"email": email, "locale": locale}}},
            headers={"authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["registerLead"]["lead"]


async def test_register_email_approve_and_live_update(
    live_server: LiveServer, world: World, database_url: str, tmp_path: Path
):
    # A lead of Beta waiting from before: Beta's subscriber gets it first, from the database.
    beta_pending = await _register(live_server, world.token("user_b"), "beta@example.test", "en")
    alpha_socket = await _subscribe(live_server, world.token("user_a"))
    beta_socket = await _subscribe(live_server, world.token("user_b"))
    try:
        assert (await _next_lead(beta_socket))["id"] == beta_pending["id"]

        lead = await _register(live_server, world.token("user_a"), "eva@example.test", "nl")
        assert lead["status"] == "PENDING_CONSENT"
        assert await _next_lead(alpha_socket) == {
            "id": lead["id"], "email": "eva@example.test", "status": "PENDING_CONSENT",
            "linked": False,
        }  # fmt: skip

        with SmtpSink() as sink:
            mail_settings = make_settings(
                database_url, tmp_path / "mail", SMTP_URL=sink.url, MAIL_FROM="news@vendor.test"
            )
            report = await deliver_due_emails(mail_settings)
            received = await asyncio.to_thread(sink.wait_for, 2)
        assert report.sent == 2
        [email] = [r for r in received if r.recipients == ("eva@example.test",)]
        text = email.body("plain")
        assert "Alpha Partners" in str(email.message["Subject"])
        assert "Alpha Partners" in text
        approve_link = re.search(r"Akkoord: (http://portal\.test/consent/\S+)", text)
        assert approve_link is not None, text
        assert re.search(r"Weigeren: http://portal\.test/consent/\S+\?answer=decline", text)
        url = approve_link.group(1).replace("http://portal.test", live_server.url)

        async with httpx.AsyncClient(headers={"user-agent": "Browser/1.0"}) as browser:
            before = await snapshot()
            page = await browser.get(url)
            assert page.status_code == 200
            assert "Alpha Partners" in page.text
            assert await snapshot() == before  # the GET changed nothing
            assert (await Lead.get(id=pk_of(lead["id"]))).registration_status is (
                RegistrationStatus.PENDING_CONSENT
            )
            approve = next(f for f in forms_of(page.text) if f["fields"]["answer"] == "approve")
            done = await browser.post(
                f"{live_server.url}{approve['action']}", data=approve["fields"]
            )
        assert done.status_code == 200
        assert "Bedankt" in done.text

        assert await _next_lead(alpha_socket) == {
            "id": lead["id"], "email": "eva@example.test", "status": "REGISTERED", "linked": True,
        }  # fmt: skip
        stored = await Lead.get(id=pk_of(lead["id"]))
        assert stored.registration_status is RegistrationStatus.REGISTERED
        assert stored.partner_id == world.partner_a.id  # type: ignore[attr-defined]
        subscriber = await NewsletterSubscriber.get(email="eva@example.test")
        assert subscriber.status is SubscriberStatus.SUBSCRIBED
        assert subscriber.partner_id == world.partner_a.id  # type: ignore[attr-defined]
        ledger = await ConsentLedgerEntry.filter(lead_id=stored.id).order_by("id")
        assert [(e.action.value, e.source.value) for e in ledger] == [
            ("request", "partner_invitation"),
            ("approval", "partner_invitation"),
        ]
        assert ledger[1].user_agent == "Browser/1.0"
        assert ledger[1].client_address == "127.0.0.1"

        # Beta's subscriber never saw Alpha's lead: its next message is Beta's own change.
        await _register(live_server, world.token("user_b"), "beta-two@example.test", "en")
        assert (await _next_lead(beta_socket))["email"] == "beta-two@example.test"
    finally:
        await alpha_socket.close()
        await beta_socket.close()
