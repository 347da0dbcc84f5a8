"""Live pop-ups end to end: two uvicorn processes on one PostgreSQL and one private Redis,
websocket clients of eligible and ineligible users on both, a Redis restart in the middle."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette

from models.enums import PartnerStatus, Role
from settings import Settings
from tests.conftest import (
    LiveServer,
    World,
    free_port,
    gid,
    make_partner,
    make_user,
    pk_of,
    server_environment,
    start_live_server,
    start_private_redis,
    stop_live_server,
    token_for,
)
from tests.messaging_support import (
    CREATE,
    MARK_READ,
    POPUPS,
    PUBLISH,
    READ_COUNTS,
    make_group,
    message_input,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("CHANNELPORT_TEST_DATABASE", "sqlite") == "sqlite",
    reason="several server processes share one database: PostgreSQL only",
)


@dataclass
class PopupClient:
    """A graphql-transport-ws client subscribed to `popups(page)`, collecting what arrives."""

    name: str
    socket: Any
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived_at: dict[str, float] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None
    errors: list[Any] = field(default_factory=list)

    @classmethod
    async def open(cls, name: str, server: LiveServer, token: str, page: str) -> PopupClient:
        socket = await websockets.connect(
            server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {
                    "id": "popups",
                    "type": "subscribe",
                    "payload": {"query": POPUPS, "variables": {"page": page}},
                }
            )
        )
        client = cls(name=name, socket=socket)
        client.reader = asyncio.create_task(client._read())
        return client

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.socket:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    if message["payload"].get("errors"):
                        self.errors.append(message["payload"]["errors"])
                        continue
                    popup = message["payload"]["data"]["popups"]["node"]
                    self.received.append(popup)
                    # Keyed by the pop-up's message (its id names that message).
                    message_id = gid("PartnerMessage", pk_of(popup["id"]))
                    self.arrived_at[message_id] = time.perf_counter()
                else:
                    self.errors.append(message)

    def titles(self) -> list[str]:
        return [popup["title"] for popup in self.received]

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await self.reader


async def until(condition: Any, seconds: float) -> bool:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


async def graphql(server: LiveServer, query: str, token: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert not body.get("errors"), body
    return next(iter(body["data"].values()))


async def publish_popup(server: LiveServer, token: str, title: str, group_id: int) -> str:
    created = await graphql(
        server,
        CREATE,
        token,
        input=message_input(title=title, groupIds=[gid("PartnerGroup", group_id)]),
    )
    published = await graphql(server, PUBLISH, token, id=created["id"])
    assert published["status"] == "PUBLISHED", published
    return created["id"]


async def wait_ready(servers: list[LiveServer], seconds: float = 15) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        deadline = time.perf_counter() + seconds
        for server in servers:
            while (await client.get(f"{server.url}/readyz")).status_code != 200:
                assert time.perf_counter() < deadline, f"{server.url} did not become ready"
                await asyncio.sleep(0.05)


@dataclass
class Cluster:
    server_a: LiveServer
    server_b: LiveServer
    redis_port: int
    redis_dir: Path
    redis: Any

    def stop_redis(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def start_redis(self) -> None:
        self.redis = start_private_redis(self.redis_port, self.redis_dir)


@pytest.fixture
async def cluster(app: Starlette, settings: Settings, tmp_path: Path) -> AsyncIterator[Cluster]:
    port = free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis = start_private_redis(port, redis_dir)
    env = server_environment(settings, BROADCAST_URL=f"redis://127.0.0.1:{port}")
    servers: list[LiveServer] = []
    try:
        await asyncio.sleep(0.2)
        servers.append(await start_live_server(env))
        servers.append(await start_live_server(env))
        await wait_ready(servers)
        running = Cluster(servers[0], servers[1], port, redis_dir, redis)
        yield running
        redis = running.redis
    finally:
        for server in servers:
            stop_live_server(server)
        redis.terminate()
        redis.wait(timeout=10)


async def test_popups_reach_every_eligible_client_on_both_processes_and_survive_redis_restart(
    cluster: Cluster, world: World, settings: Settings
):
    server_a, server_b = cluster.server_a, cluster.server_b
    test_partner = await make_partner("Testing Co", status=PartnerStatus.TEST)
    inactive_partner = await make_partner("Dormant Co", status=PartnerStatus.INACTIVE)
    tester = await make_user("user@testing.test", Role.PARTNER_USER, test_partner)
    dormant = await make_user("user@dormant.test", Role.PARTNER_USER, inactive_partner)
    rep = await make_user("rep@alpha.test", Role.PARTNER_USER, world.partner_a, is_sales_rep=True)
    browsing = await make_user("leads@alpha.test", Role.PARTNER_USER, world.partner_a)
    group = await make_group("Summit invitees", world.partner_a, test_partner, inactive_partner)
    admin = world.token("vendor_admin")

    await publish_popup(server_a, admin, "Before anyone connected", group.id)

    async def token(user: Any) -> str:
        return await token_for(settings, user)

    eligible = [
        await PopupClient.open("admin_a@A", server_a, world.token("admin_a"), "dashboard"),
        await PopupClient.open("user_a@B", server_b, world.token("user_a"), "dashboard"),
        await PopupClient.open("tester@A", server_a, await token(tester), "dashboard"),
        await PopupClient.open("tester@B", server_b, await token(tester), "dashboard"),
        await PopupClient.open("leads_user@A", server_a, await token(browsing), "dashboard"),
    ]
    ineligible = [
        await PopupClient.open("sales_rep@A", server_a, await token(rep), "dashboard"),
        await PopupClient.open("inactive@B", server_b, await token(dormant), "dashboard"),
        await PopupClient.open("other_group@A", server_a, world.token("user_b"), "dashboard"),
        await PopupClient.open("other_page@B", server_b, await token(browsing), "leads"),
    ]
    clients = eligible + ineligible
    try:
        # On subscribe: the unread pop-up from the database, and nothing for the others.
        assert await until(
            lambda: all(c.titles() == ["Before anyone connected"] for c in eligible), 5
        )

        # Published through process A: every eligible client on A and B has it within a second.
        started = time.perf_counter()
        live = await publish_popup(server_a, admin, "Live summit news", group.id)
        assert await until(lambda: all(live in c.arrived_at for c in eligible), 3)
        slowest = max(c.arrived_at[live] for c in eligible) - started
        assert slowest < 1.0, f"the last client got it after {slowest:.3f}s"
        await asyncio.sleep(0.3)
        assert all(c.received == [] for c in ineligible), [c.received for c in ineligible]

        # Marking read updates the counts; a reconnecting client gets only what is unread.
        await graphql(server_b, MARK_READ, world.token("user_a"), id=live)
        counts = (await graphql(server_a, READ_COUNTS, admin, id=live))["readCounts"]
        assert counts == {"recipients": 4, "read": 1, "unread": 3}
        await eligible[1].close()
        eligible[1] = await PopupClient.open(
            "user_a@B again", server_b, world.token("user_a"), "dashboard"
        )
        clients.append(eligible[1])
        assert await until(lambda: eligible[1].titles() == ["Before anyone connected"], 5)
        await asyncio.sleep(0.2)
        assert eligible[1].titles() == ["Before anyone connected"]

        # Redis restarts while everyone is connected. A pop-up published while it is down is
        # delivered by the re-sync from the database once it is back...
        before = {c.name: len(c.received) for c in clients}
        cluster.stop_redis()
        missed = await publish_popup(server_a, admin, "Published while Redis was down", group.id)
        cluster.start_redis()
        assert await until(lambda: all(missed in c.arrived_at for c in eligible), 15)
        await wait_ready([server_a, server_b])
        # ... and a pop-up published afterwards reaches every eligible client on both processes.
        started = time.perf_counter()
        after = await publish_popup(server_a, admin, "After the restart", group.id)
        assert await until(lambda: all(after in c.arrived_at for c in eligible), 3)
        assert max(c.arrived_at[after] for c in eligible) - started < 1.0
        await asyncio.sleep(0.3)
        for client in eligible:
            assert client.titles()[-2:] == ["Published while Redis was down", "After the restart"]
            assert len(client.titles()) == len(set(client.titles()))  # nothing twice
        assert {c.name: len(c.received) for c in ineligible} == {
            c.name: before[c.name] for c in ineligible
        }
        assert all(c.received == [] for c in ineligible)
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()
    assert all(c.errors == [] for c in clients), [(c.name, c.errors) for c in clients]
