"""The `popups` subscription over a real websocket (one uvicorn process, in-process pub/sub),
and the pop-up stream's re-sync from the database after a pub/sub reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import websockets

from models.messaging import Message
from services.messaging.centre import PublishedPopup
from services.messaging.delivery import POPUP_CHANNEL, announce_popup
from services.messaging.popup_stream import popup_stream
from services.platform.pubsub import RESYNC, PubSub
from services.platform.viewer import Viewer
from tests.conftest import (
    GraphQLClient,
    LiveServer,
    World,
    free_port,
    gid,
    make_settings,
    pk_of,
    start_private_redis,
)
from tests.messaging_support import POPUPS, PUBLISH, create_message, make_group, run


async def _subscribe(server: LiveServer, token: str, page: str | None, after: str | None = None):
    socket = await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": POPUPS, "variables": {"page": page, "after": after}},
            }
        )
    )
    return socket


async def _next_events(socket, count: int, wait: float = 3.0) -> list[tuple[str, str]]:
    """(title, cursor) of the next `count` pop-ups."""
    events = []
    while len(events) < count:
        message = json.loads(await asyncio.wait_for(socket.recv(), wait))
        if message["type"] == "ping":
            continue
        assert message["type"] == "next", message
        edge = message["payload"]["data"]["popups"]
        events.append((edge["node"]["title"], edge["cursor"]))
    return events


async def _next_titles(socket, count: int, wait: float = 3.0) -> list[str]:
    return [title for title, _ in await _next_events(socket, count, wait)]


async def _nothing_more(socket, wait: float = 0.3) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), wait)
    except TimeoutError:
        return True
    return False


async def _publish_over_http(server: LiveServer, token: str, message_id: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/graphql",
            json={"query": PUBLISH, "variables": {"id": message_id}},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.json()["data"]["publishMessage"]["status"] == "PUBLISHED"


async def test_unread_then_live_pop_ups_filtered_by_page(
    live_server: LiveServer, gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    earlier = await create_message(
        gql, admin, title="Earlier", groupIds=[gid("PartnerGroup", alpha.id)]
    )
    await run(gql, PUBLISH, admin, id=earlier["id"])
    expired = await create_message(
        gql, admin, title="Expired", groupIds=[gid("PartnerGroup", alpha.id)]
    )
    await run(gql, PUBLISH, admin, id=expired["id"])
    await Message.filter(id=pk_of(expired["id"])).update(
        ends_at=datetime.now(UTC) - timedelta(minutes=1)
    )

    dashboard = await _subscribe(live_server, world.token("user_a"), "dashboard")
    leads = await _subscribe(live_server, world.token("user_a"), "leads")
    everywhere = await _subscribe(live_server, world.token("admin_a"), None)
    other_partner = await _subscribe(live_server, world.token("user_b"), "dashboard")
    try:
        assert await _next_titles(dashboard, 1) == ["Earlier"]
        assert await _next_titles(everywhere, 1) == ["Earlier"]
        for_leads = await create_message(
            gql, admin, title="For leads", pages=["leads"], groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish_over_http(live_server, admin, for_leads["id"])
        assert await _next_titles(leads, 1) == ["For leads"]  # "Earlier" is not for leads
        assert await _next_titles(everywhere, 1) == ["For leads"]
        assert await _nothing_more(dashboard)
        assert await _nothing_more(other_partner)
    finally:
        for socket in (dashboard, leads, everywhere, other_partner):
            await socket.close()


async def test_resubscribing_after_the_last_cursor_gets_only_what_was_missed(
    live_server: LiveServer, gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)

    async def publish(title: str) -> None:
        created = await create_message(
            gql, admin, title=title, groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish_over_http(live_server, admin, created["id"])

    await publish("Old and unread")
    socket = await _subscribe(live_server, world.token("user_a"), "dashboard")
    try:
        assert [t for t, _ in await _next_events(socket, 1)] == ["Old and unread"]
        await publish("Seen live")
        ((title, last_cursor),) = await _next_events(socket, 1)
        assert title == "Seen live"
    finally:
        await socket.close()

    # Disconnected: two pop-ups are published. Everything above is still unread.
    await publish("Missed one")
    await publish("Missed two")

    resumed = await _subscribe(live_server, world.token("user_a"), "dashboard", after=last_cursor)
    fresh = await _subscribe(live_server, world.token("user_a"), "dashboard")
    try:
        missed = await _next_events(resumed, 2)
        assert [t for t, _ in missed] == ["Missed one", "Missed two"]
        assert await _nothing_more(resumed, 0.5)
        # Each publication has its own cursor.
        assert last_cursor not in {c for _, c in missed}
        # Without `after`, every unread pop-up, as before.
        assert await _next_titles(fresh, 4) == [
            "Old and unread",
            "Seen live",
            "Missed one",
            "Missed two",
        ]
        # Live pop-ups still arrive on the resumed subscription, once.
        await publish("Live again")
        assert await _next_titles(resumed, 1) == ["Live again"]
        assert await _nothing_more(resumed)
    finally:
        await resumed.close()
        await fresh.close()

    again = await _subscribe(live_server, world.token("user_a"), "dashboard", after=missed[0][1])
    try:
        assert await _next_titles(again, 2) == ["Missed two", "Live again"]
        assert await _nothing_more(again)
    finally:
        await again.close()

    broken = await _subscribe(live_server, world.token("user_a"), "dashboard", after="nonsense")
    try:
        message = json.loads(await asyncio.wait_for(broken.recv(), 3))
        assert message["payload"]["errors"][0]["extensions"]["code"] == "INVALID"
    finally:
        await broken.close()


async def test_vendor_staff_cannot_subscribe_to_pop_ups(live_server: LiveServer, world: World):
    socket = await _subscribe(live_server, world.token("vendor_admin"), "dashboard")
    try:
        message = json.loads(await asyncio.wait_for(socket.recv(), 3))
        assert message["type"] == "next"
        assert message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert json.loads(await asyncio.wait_for(socket.recv(), 3))["type"] == "complete"
    finally:
        await socket.close()


async def test_stream_re_syncs_from_the_database_after_a_reconnect(
    gql: GraphQLClient, world: World
):
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    first = await create_message(
        gql, admin, title="First", groupIds=[gid("PartnerGroup", alpha.id)]
    )
    await run(gql, PUBLISH, admin, id=first["id"])
    viewer = Viewer(
        user_id=world.user_a.id,
        email=world.user_a.email,
        role=world.user_a.role,
        partner_id=world.partner_a.id,
        session_id="test",
    )
    pubsub = PubSub("memory://")
    await pubsub.connect()
    try:
        stream = popup_stream(pubsub, viewer, "dashboard")
        received: list[PublishedPopup] = [await asyncio.wait_for(anext(stream), 3)]
        assert [p.popup.title for p in received] == ["First"]
        # Published while this process's pub/sub was away: no announcement reached the stream.
        missed = await create_message(
            gql, admin, title="Missed", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        await pubsub.publish(POPUP_CHANNEL, {"type": "other"})
        await run(gql, PUBLISH, admin, id=missed["id"])  # announced on the app's own pub/sub
        assert not pending.done()
        pubsub._fan_out(POPUP_CHANNEL, RESYNC)  # what the wrapper does after a reconnect
        published = await asyncio.wait_for(pending, 3)
        assert published.popup.title == "Missed"
        # A re-sync does not deliver anything twice.
        pubsub._fan_out(POPUP_CHANNEL, RESYNC)
        again = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.2)
        assert not again.done()
        again.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await again
        await stream.aclose()
    finally:
        await pubsub.disconnect()


async def test_a_separate_worker_process_announces_through_a_short_redis_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    port = free_port()
    redis_server = start_private_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}"
    web = PubSub(url)
    try:
        for _ in range(100):
            if await PubSub(url).is_reachable():
                break
            await asyncio.sleep(0.05)
        await web.connect()
        # As in a `channelport worker` process: no web app, so no pub/sub of its own.
        monkeypatch.setattr("services.messaging.delivery.current_pubsub", lambda: None)
        settings = make_settings("sqlite://:memory:", tmp_path, BROADCAST_URL=url)
        async with web.subscribe(POPUP_CHANNEL) as subscription:
            assert await announce_popup(settings, {"type": "published", "id": 7})
            item = await asyncio.wait_for(anext(subscription), 3)
            assert item == {"type": "published", "id": 7}
        redis_server.terminate()
        redis_server.wait(timeout=10)
        # Redis down: the publication is committed anyway, the announcement reports failure.
        assert not await announce_popup(settings, {"type": "published", "id": 8})
    finally:
        await web.disconnect()
        redis_server.terminate()
        redis_server.wait(timeout=10)


async def _subscribe_with(server: LiveServer, token: str, operation_id: str, payload: dict):
    socket = await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
    return socket


async def _next_message(socket, wait: float = 3.0) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), wait))
        if message["type"] != "ping":
            return message


async def test_a_pop_up_encoded_once_reaches_each_eligible_operation_as_it_asked(
    live_server: LiveServer, gql: GraphQLClient, world: World
):
    """The live pop-up is executed and encoded once per operation and variables, then sent
    as is: every eligible connection gets it under its own operation id with its own selection,
    in exactly the standard `next` shape; other partners and other pages get nothing."""
    admin = world.token("vendor_admin")
    alpha = await make_group("Alpha", world.partner_a)
    full = {"query": POPUPS, "variables": {"page": "dashboard"}}
    titles_only = {
        "query": "subscription Titles { popups { ...Title } } "
        "fragment Title on PopupEdge { node { title } }",
        "operationName": "Titles",
    }
    first = await _subscribe_with(live_server, world.token("user_a"), "first", full)
    second = await _subscribe_with(live_server, world.token("admin_a"), "op-2", full)
    titles = await _subscribe_with(live_server, world.token("user_a"), "t", titles_only)
    other_page = await _subscribe_with(
        live_server, world.token("admin_a"), "p", {**full, "variables": {"page": "leads"}}
    )
    other_partner = await _subscribe_with(live_server, world.token("user_b"), "b", full)
    sockets = (first, second, titles, other_page, other_partner)
    try:
        created = await create_message(
            gql, admin, title="Summit", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await asyncio.sleep(0.3)  # every subscription is live
        await _publish_over_http(live_server, admin, created["id"])
        popup_id = gid("ReceivedPopup", pk_of(created["id"]))

        received = [await _next_message(s) for s in (first, second)]
        cursor = received[0]["payload"]["data"]["popups"]["cursor"]
        node = {"id": popup_id, "title": "Summit", "pages": ["dashboard"], "readAt": None}
        for message, operation_id in zip(received, ("first", "op-2"), strict=True):
            assert message == {
                "id": operation_id,
                "type": "next",
                "payload": {"data": {"popups": {"cursor": cursor, "node": node}}},
            }
        assert await _next_message(titles) == {
            "id": "t",
            "type": "next",
            "payload": {"data": {"popups": {"node": {"title": "Summit"}}}},
        }
        assert await _nothing_more(other_page)
        assert await _nothing_more(other_partner)

        later = await create_message(
            gql, admin, title="Later", groupIds=[gid("PartnerGroup", alpha.id)]
        )
        await _publish_over_http(live_server, admin, later["id"])
        assert (await _next_message(second))["payload"]["data"]["popups"]["node"]["title"] == (
            "Later"
        )
        assert (await _next_message(first))["id"] == "first"
    finally:
        for socket in sockets:
            await socket.close()
