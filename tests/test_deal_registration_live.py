"""The `dealRegistrationChanged` subscription over real websockets to a real uvicorn process: each
change reaches the partner's users and the vendor staff who may see that partner, nobody else;
drafts stay the partner's; a client that reconnects with its last cursor (or a moment) first
receives what it missed, in order; act-as sessions and bad cursors are refused; a logout ends it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets

from services.deals import jobs
from services.users.auth import open_session
from settings import Settings
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import LiveServer, World, gid
from tests.deal_registration_support import (
    APPROVE,
    REQUEST_INFO,
    RESUBMIT,
    SAVE_DRAFT,
    SUBMIT,
    form,
)

CHANGED = """subscription($after: String, $since: DateTime) {
  dealRegistrationChanged(after: $after, since: $since) {
    cursor
    entry { kind fromStatus toStatus reason automatic conflict { kind partner { name } } }
    registration { id companyName status partner { id } }
  } }"""
SWITCH = """mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token } } }"""
LOGOUT = "mutation { logout { __typename } }"
QUIET_SECONDS = 0.5


class Listener:
    """One graphql-transport-ws connection with one `dealRegistrationChanged` subscription."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, server: LiveServer, token: str, **variables: Any) -> Listener:
        socket = await websockets.connect(
            server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
        payload = {"query": CHANGED, "variables": variables}
        await socket.send(json.dumps({"id": "changes", "type": "subscribe", "payload": payload}))
        return cls(socket)

    async def message(self, seconds: float = 10) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), seconds))
            if message["type"] not in ("ping", "pong"):
                return message

    async def change(self) -> dict[str, Any]:
        message = await self.message()
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        return message["payload"]["data"]["dealRegistrationChanged"]

    async def changes(self, count: int) -> list[dict[str, Any]]:
        return [await self.change() for _ in range(count)]

    async def nothing_more(self) -> None:
        with pytest.raises(TimeoutError):
            await self.message(QUIET_SECONDS)

    async def close(self) -> None:
        await self.socket.close()


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    opened: list[Listener] = []
    yield opened
    for listener in opened:
        await listener.close()


async def call(server: LiveServer, token: str, document: str, **variables: Any) -> dict[str, Any]:
    """A mutation on the live server that must succeed; its one result."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert not body.get("errors"), body
    result = next(iter(body["data"].values()))
    assert result.get("__typename") != "OperationErrors", result
    return result


def summary(change: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        change["registration"]["companyName"],
        change["entry"]["kind"],
        change["entry"]["toStatus"],
        change["registration"]["status"],
    )


async def test_changes_reach_the_partners_users_and_the_staff_who_see_that_partner_only(
    live_server: LiveServer, world: World, listeners: list[Listener]
):
    user_a, admin_b, vendor, manager = [
        await Listener.open(live_server, world.token(name))
        for name in ("user_a", "admin_b", "vendor_admin", "manager")
    ]
    listeners.extend([user_a, admin_b, vendor, manager])
    await asyncio.sleep(0.3)  # every subscription is live

    alpha = await call(live_server, world.token("user_a"), SUBMIT, input=form("Alpha Deal"))
    beta = await call(live_server, world.token("user_b"), SUBMIT, input=form("Beta Deal"))
    pushed = await user_a.change()
    assert summary(pushed) == ("Alpha Deal", "SUBMITTED", "SUBMITTED", "SUBMITTED")
    assert pushed["registration"]["id"] == alpha["id"]
    assert pushed["registration"]["partner"] == {"id": gid("Partner", world.partner_a.id)}
    assert summary(await admin_b.change())[0] == "Beta Deal"
    assert [summary(c)[0] for c in await vendor.changes(2)] == ["Alpha Deal", "Beta Deal"]
    assert summary(await manager.change())[0] == "Alpha Deal"  # assigned to partner A only

    # A decision: the partner sees the new status live, with the reviewer's words.
    await call(live_server, world.token("manager"), REQUEST_INFO, id=alpha["id"], message="Seats?")
    asked = await user_a.change()
    assert summary(asked) == ("Alpha Deal", "INFO_REQUESTED", "INFO_REQUESTED", "INFO_REQUESTED")
    assert (asked["entry"]["fromStatus"], asked["entry"]["reason"]) == ("SUBMITTED", "Seats?")
    assert summary(await vendor.change())[1] == "INFO_REQUESTED"
    assert summary(await manager.change())[1] == "INFO_REQUESTED"
    await call(live_server, world.token("vendor_admin"), APPROVE, id=beta["id"])
    approved = await admin_b.change()
    assert summary(approved) == ("Beta Deal", "APPROVED", "APPROVED", "APPROVED")

    # A draft is the partner's own: its users see it, vendor staff do not.
    await call(live_server, world.token("user_a"), SAVE_DRAFT, input=form("Draft Deal"))
    assert summary(await user_a.change()) == ("Draft Deal", "DRAFTED", "DRAFT", "DRAFT")

    assert summary(await vendor.change())[:2] == ("Beta Deal", "APPROVED")
    for listener in (user_a, admin_b, vendor, manager):
        await listener.nothing_more()  # another partner's changes, drafts: nothing


async def test_a_client_that_reconnects_receives_what_it_missed_in_order_then_live(
    live_server: LiveServer, world: World, listeners: list[Listener]
):
    started = datetime.now(UTC) - timedelta(seconds=1)
    first = await Listener.open(live_server, world.token("admin_a"))
    listeners.append(first)
    await asyncio.sleep(0.3)
    deal = await call(live_server, world.token("user_a"), SUBMIT, input=form("Reconnect Deal"))
    cursor = (await first.change())["cursor"]
    await first.close()

    # While it is away: a question, an answer, another partner's registration.
    await call(live_server, world.token("vendor_admin"), REQUEST_INFO, id=deal["id"], message="?")
    await call(live_server, world.token("user_b"), SUBMIT, input=form("Not Yours"))
    await call(live_server, world.token("user_a"), RESUBMIT, id=deal["id"], answer="50 seats")

    again = await Listener.open(live_server, world.token("admin_a"), after=cursor)
    listeners.append(again)
    missed = await again.changes(2)
    assert [summary(c)[1:3] for c in missed] == [
        ("INFO_REQUESTED", "INFO_REQUESTED"),
        ("RESUBMITTED", "SUBMITTED"),
    ]
    assert all(c["registration"]["status"] == "SUBMITTED" for c in missed)  # as it is now
    assert missed[1]["entry"]["reason"] == "50 seats"
    await again.nothing_more()  # nothing of the other partner's, nothing twice

    # Then live, from the same connection.
    await call(live_server, world.token("vendor_admin"), APPROVE, id=deal["id"])
    assert summary(await again.change())[1:] == ("APPROVED", "APPROVED", "APPROVED")

    # `since`: everything recorded from that moment, in order, also from a new connection.
    since = await Listener.open(live_server, world.token("user_a"), since=started.isoformat())
    listeners.append(since)
    kinds = [summary(c)[1] for c in await since.changes(4)]
    assert kinds == ["SUBMITTED", "INFO_REQUESTED", "RESUBMITTED", "APPROVED"]
    await since.nothing_more()


async def test_the_expiry_job_is_pushed_live(
    live_server: LiveServer, world: World, listeners: list[Listener], settings: Settings
):
    """A change made in another process (the worker, here the test) reaches the subscribers once
    they reconnect: the history is the source of truth."""
    listener = await Listener.open(live_server, world.token("user_a"))
    listeners.append(listener)
    await asyncio.sleep(0.3)
    deal = await call(live_server, world.token("user_a"), SUBMIT, input=form("Ending Deal"))
    await call(live_server, world.token("vendor_admin"), APPROVE, id=deal["id"], days=1)
    cursor = (await listener.changes(2))[-1]["cursor"]
    # In-process pub/sub: the worker here cannot reach the server's subscribers live ...
    assert await jobs.expire_ended_protections(now=datetime.now(UTC) + timedelta(days=2)) == 1
    await listener.nothing_more()
    # ... and a reconnect with the last cursor catches it up.
    again = await Listener.open(live_server, world.token("user_a"), after=cursor)
    listeners.append(again)
    expired = await again.change()
    assert summary(expired) == ("Ending Deal", "EXPIRED", "EXPIRED", "EXPIRED")
    assert expired["entry"]["automatic"] is True


async def test_act_as_sessions_and_bad_cursors_are_refused_and_a_logout_ends_it(
    live_server: LiveServer, world: World, listeners: list[Listener], settings: Settings
):
    customer = await make_customer(world.partner_a, "Acting Customer", fixed_now())
    token = await open_session(settings, world.admin_a, "10.0.0.1")
    acting = (await call(live_server, token, SWITCH, id=gid("Customer", customer.id)))["token"]
    # An act-as token reaches no deal registration: refused before the stream starts.
    act_as = await Listener.open(live_server, acting)
    listeners.append(act_as)
    refusal = await act_as.message()
    assert refusal["type"] == "error", refusal
    assert refusal["payload"][0]["extensions"]["code"] == "FORBIDDEN"

    bad_cursor = await Listener.open(live_server, world.token("user_a"), after="not-a-cursor")
    listeners.append(bad_cursor)
    message = await bad_cursor.message()
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "INVALID"
    assert (await bad_cursor.message())["type"] == "complete"

    watching = await Listener.open(live_server, token)
    listeners.append(watching)
    await asyncio.sleep(0.3)
    await call(live_server, token, LOGOUT)
    with pytest.raises(websockets.ConnectionClosed):
        await watching.message()
    assert watching.socket.close_code == 4401
