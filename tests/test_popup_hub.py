"""The process-wide pop-up hub and session watch, over a real uvicorn process and websockets.

- Live pop-ups are sent by the process's hub to each subscription it has, under that
  subscription's own id; a completed subscription gets nothing more, the others on the same
  socket go on, and subscribing again replays what is unread.
- One session watch per process: a logout closes exactly the sockets of that session, the other
  connections keep receiving pop-ups.
- A connection that stops reading is dropped (RESUBSCRIBE) instead of holding up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
import websockets

from models.messaging import Message
from services.messaging import popup_hub
from services.messaging.centre import PublishedPopup
from services.messaging.delivery import POPUP_CHANNEL, popup_payload
from services.messaging.popup_stream import popup_stream
from services.platform.pubsub import PubSub, SubscriberDropped
from services.platform.viewer import Viewer
from services.users.auth import open_session
from settings import Settings
from tests.conftest import GraphQLClient, LiveServer, World, gid, pk_of
from tests.messaging_support import POPUPS, PUBLISH, create_message, make_group, run

LOGOUT = "mutation { logout { __typename } }"


async def _connect(server: LiveServer, token: str) -> websockets.ClientConnection:
    socket = await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    return socket


async def _subscribe(socket: websockets.ClientConnection, operation_id: str, page: str) -> None:
    payload = {"query": POPUPS, "variables": {"page": page}}
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))


async def _next(socket: websockets.ClientConnection, wait: float = 3.0) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), wait))
        if message["type"] != "ping":
            return message


async def _quiet(socket: websockets.ClientConnection, wait: float = 0.4) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), wait)
    except TimeoutError:
        return True
    return False


async def _publish(server: LiveServer, token: str, message_id: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/graphql",
            json={"query": PUBLISH, "variables": {"id": message_id}},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.json()["data"]["publishMessage"]["status"] == "PUBLISHED"


def _title(message: dict) -> str:
    return message["payload"]["data"]["popups"]["node"]["title"]


async def test_each_subscription_of_a_socket_gets_its_own_frames_until_it_completes(
    live_server: LiveServer, gql: GraphQLClient, world: World
) -> None:
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    socket = await _connect(live_server, world.token("user_a"))
    try:
        await _subscribe(socket, "a", "dashboard")
        await _subscribe(socket, "b", "dashboard")
        await asyncio.sleep(0.3)
        first = await create_message(
            gql, admin, title="First", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish(live_server, admin, first["id"])
        frames = [await _next(socket), await _next(socket)]
        assert sorted((frame["id"], _title(frame)) for frame in frames) == [
            ("a", "First"),
            ("b", "First"),
        ]

        await socket.send(json.dumps({"id": "a", "type": "complete"}))
        await asyncio.sleep(0.2)
        second = await create_message(
            gql, admin, title="Second", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish(live_server, admin, second["id"])
        frame = await _next(socket)
        assert (frame["id"], _title(frame)) == ("b", "Second")
        assert await _quiet(socket)

        # Subscribing again under the same id replays the unread ones, then goes on live.
        await _subscribe(socket, "a", "dashboard")
        replayed = [_title(await _next(socket)) for _ in range(2)]
        assert replayed == ["First", "Second"]
        third = await create_message(
            gql, admin, title="Third", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish(live_server, admin, third["id"])
        frames = [await _next(socket), await _next(socket)]
        assert sorted((frame["id"], _title(frame)) for frame in frames) == [
            ("a", "Third"),
            ("b", "Third"),
        ]
    finally:
        await socket.close()


async def test_a_logout_closes_the_sockets_of_that_session_only(
    live_server: LiveServer, gql: GraphQLClient, world: World, settings: Settings
) -> None:
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    leaving = await open_session(settings, world.user_a, "10.0.0.1")
    sockets = {
        "leaving-1": await _connect(live_server, leaving),
        "leaving-2": await _connect(live_server, leaving),
        "user_a": await _connect(live_server, world.token("user_a")),
        "admin_a": await _connect(live_server, world.token("admin_a")),
    }
    try:
        for name, socket in sockets.items():
            await _subscribe(socket, name, "dashboard")
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            response = await client.post(
                "/graphql", json={"query": LOGOUT}, headers={"authorization": f"Bearer {leaving}"}
            )
        assert response.json()["data"]["logout"]["__typename"] == "Done"
        for name in ("leaving-1", "leaving-2"):
            with pytest.raises(websockets.ConnectionClosed):
                await _next(sockets[name])
            assert sockets[name].close_code == 4401
            assert sockets[name].close_reason == "Session ended: logged out."

        popup = await create_message(
            gql, admin, title="Still here", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish(live_server, admin, popup["id"])
        for name in ("user_a", "admin_a"):
            frame = await _next(sockets[name])
            assert (frame["id"], _title(frame)) == (name, "Still here")
    finally:
        for socket in sockets.values():
            await socket.close()


async def test_a_connection_that_does_not_read_is_dropped_without_holding_up_the_others(
    gql: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(popup_hub, "SEND_TIMEOUT_SECONDS", 0.2)
    admin = world.token("vendor_admin")
    popup = await create_message(gql, admin, title="Now", allPartners=True)
    pubsub = PubSub("memory://")
    await pubsub.connect()
    received: list[str] = []
    never = asyncio.Event()

    async def reads(published: PublishedPopup) -> bool:
        received.append(published.popup.title)
        return True

    async def stalls(published: PublishedPopup) -> bool:
        await never.wait()  # a socket whose buffer is full: the write never completes
        return True

    def viewer(user) -> Viewer:  # type: ignore[no-untyped-def]
        return Viewer(
            user_id=user.id,
            email=user.email,
            role=user.role,
            partner_id=world.partner_a.id,
            session_id="test",
        )

    try:
        stalled = popup_stream(pubsub, viewer(world.admin_a), "dashboard", send=stalls)
        reading = popup_stream(pubsub, viewer(world.user_a), "dashboard", send=reads)
        stalled_next = asyncio.ensure_future(anext(stalled))
        reading_next = asyncio.ensure_future(anext(reading))
        await asyncio.sleep(0.2)  # both caught up with the database and parked
        await run(gql, PUBLISH, admin, id=popup["id"])
        message = await Message.get(id=pk_of(popup["id"]))
        cursor = 1_000_000
        payload = popup_payload(message, [world.admin_a.id, world.user_a.id], cursor)
        assert await pubsub.publish(POPUP_CHANNEL, payload)
        for _ in range(30):
            if received:
                break
            await asyncio.sleep(0.05)
        assert received == ["Now"]
        with pytest.raises(SubscriberDropped):
            await asyncio.wait_for(stalled_next, 3)
        assert not reading_next.done()  # live: the hub sent it, nothing was yielded
        reading_next.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading_next
        await reading.aclose()
        await stalled.aclose()
    finally:
        await pubsub.disconnect()
