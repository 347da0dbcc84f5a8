"""The `leadAssigned` subscription with real websocket clients against a real uvicorn process:
pending leads first, new ones live, only the partner's own, and nothing missed on reconnect."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import websockets

from services.leads import service as lead_management
from services.leads.service import LeadInput
from settings import Settings
from tests.conftest import (
    LiveServer,
    World,
    free_port,
    gid,
    server_environment,
    start_live_server,
    start_private_redis,
    stop_live_server,
)
from tests.test_lead_rules import viewer_for

SUBSCRIPTION = "subscription { leadAssigned { id company partner { id } distributionStatus } }"
DISTRIBUTE = """mutation($ids: [ID!]!, $p: ID!) { distributeLeads(leadIds: $ids, partnerId: $p) {
    __typename } }"""


async def distribute(server: LiveServer, world: World, lead_id: int, partner_id: int) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/graphql",
            json={
                "query": DISTRIBUTE,
                "variables": {"ids": [gid("Lead", lead_id)], "p": gid("Partner", partner_id)},
            },
            headers={"authorization": f"Bearer {world.token('vendor_admin')}"},
        )
    body = response.json()
    assert body["data"]["distributeLeads"]["__typename"] == "DistributedLeads", body


async def subscribe(server: LiveServer, token: str) -> Any:
    socket = await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
    await socket.send(
        json.dumps({"id": "leads", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
    )
    return socket


async def next_message(socket: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 20))
        if message["type"] in ("ping", "pong"):
            continue
        return message


async def next_lead(socket: Any) -> dict[str, Any]:
    message = await next_message(socket)
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    return message["payload"]["data"]["leadAssigned"]


async def test_lead_assigned_replays_pending_then_pushes_new_leads_to_the_right_partner(
    live_server: LiveServer, world: World
):
    vendor = viewer_for(world.vendor_admin)
    leads = [
        await lead_management.create_vendor_lead(
            vendor, LeadInput(email=f"l{n}@example.org", company=f"Company {n}")
        )
        for n in range(5)
    ]
    a, b = world.partner_a.id, world.partner_b.id
    await distribute(live_server, world, leads[0].id, a)  # before anyone listens
    await distribute(live_server, world, leads[1].id, b)

    socket_a = await subscribe(live_server, world.token("user_a"))
    socket_b = await subscribe(live_server, world.token("admin_b"))
    try:
        # On subscribe: the pending leads of the viewer's own partner, read from the database.
        first_a = await next_lead(socket_a)
        assert first_a == {
            "id": gid("Lead", leads[0].id),
            "company": "Company 0",
            "partner": {"id": gid("Partner", a)},
            "distributionStatus": "PENDING",
        }
        assert (await next_lead(socket_b))["id"] == gid("Lead", leads[1].id)

        # Then live: each partner gets its own new leads and nothing of the other's.
        await distribute(live_server, world, leads[2].id, a)
        await distribute(live_server, world, leads[3].id, b)
        assert (await next_lead(socket_a))["id"] == gid("Lead", leads[2].id)
        assert (await next_lead(socket_b))["id"] == gid("Lead", leads[3].id)
    finally:
        await socket_b.close()
        await socket_a.close()

    # A client that was away gets what it missed on reconnect: every lead still pending.
    await distribute(live_server, world, leads[4].id, a)
    socket_a = await subscribe(live_server, world.token("admin_a"))
    try:
        replayed = [(await next_lead(socket_a))["id"] for _ in range(3)]
        assert replayed == [
            gid("Lead", leads[0].id),
            gid("Lead", leads[2].id),
            gid("Lead", leads[4].id),
        ]
    finally:
        await socket_a.close()


async def test_vendor_staff_cannot_subscribe_to_lead_assignments(
    live_server: LiveServer, world: World
):
    socket = await subscribe(live_server, world.token("vendor_admin"))
    try:
        message = await next_message(socket)
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await next_message(socket))["type"] == "complete"
    finally:
        await socket.close()


async def test_a_lead_distributed_on_one_server_reaches_users_on_another(
    app: Any, world: World, settings: Settings, tmp_path: Path
):
    """Two uvicorn processes sharing a (private) Redis: the push crosses processes."""
    port = free_port()
    redis_server = start_private_redis(port, tmp_path)
    servers: list[LiveServer] = []
    try:
        env = server_environment(settings, BROADCAST_URL=f"redis://127.0.0.1:{port}")
        servers = [await start_live_server(env), await start_live_server(env)]
        first, second = servers
        [lead] = [
            await lead_management.create_vendor_lead(
                viewer_for(world.vendor_admin), LeadInput(email="x@cross.example", company="Cross")
            )
        ]
        waiting = await lead_management.create_vendor_lead(
            viewer_for(world.vendor_admin), LeadInput(email="w@cross.example", company="Waiting")
        )
        await distribute(first, world, waiting.id, world.partner_a.id)
        socket = await subscribe(second, world.token("user_a"))
        try:
            assert (await next_lead(socket))["id"] == gid("Lead", waiting.id)  # subscribed by now
            await distribute(first, world, lead.id, world.partner_a.id)
            pushed = await next_lead(socket)
            assert pushed["id"] == gid("Lead", lead.id)
            assert pushed["company"] == "Cross"
        finally:
            await socket.close()
    finally:
        for server in servers:
            stop_live_server(server)
        redis_server.terminate()
        redis_server.wait(timeout=10)
