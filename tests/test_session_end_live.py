"""A session's end ends its live subscriptions and the tokens derived from it: logout (on another
web process), expiry and deactivation close the websocket with 4401/4403 and a reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from services.users.auth import open_session
from settings import Settings
from tests.accounts_support import fixed_now, make_customer
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
from tests.messaging_support import make_group
from tests.test_messaging_live import PopupClient, publish_popup, until

LOGOUT = "mutation { logout { __typename } }"
SWITCH = """mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token } } }"""


@pytest.fixture
async def two_servers(
    app: Starlette, settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Two web processes on the test's database, joined by a private Redis."""
    port = free_port()
    redis = start_private_redis(port, tmp_path)
    env = server_environment(settings, BROADCAST_URL=f"redis://127.0.0.1:{port}")
    servers: list[LiveServer] = []
    try:
        await asyncio.sleep(0.2)
        servers = [await start_live_server(env), await start_live_server(env)]
        yield servers[0], servers[1]
    finally:
        for server in servers:
            stop_live_server(server)
        redis.terminate()
        redis.wait(timeout=10)


async def _post(server: LiveServer, query: str, token: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
    return response.json()


async def _closed_with(client: PopupClient, seconds: float = 5) -> tuple[int | None, str | None]:
    assert client.reader is not None
    await asyncio.wait_for(asyncio.shield(client.reader), seconds)
    return client.socket.close_code, client.socket.close_reason


async def test_logout_on_another_process_closes_the_websocket_and_the_act_as_token(
    two_servers: tuple[LiveServer, LiveServer], world: World, settings: Settings
):
    server_a, server_b = two_servers
    group = await make_group("Everyone", world.partner_a)
    admin = world.token("vendor_admin")
    token = await open_session(settings, world.admin_a, "10.0.0.1")
    customer = await make_customer(world.partner_a, "Mine", fixed_now())
    switched = await _post(server_a, SWITCH, token, id=gid("Customer", customer.id))
    acting_token = switched["data"]["switchAccount"]["token"]

    watching = await PopupClient.open("admin_a@A", server_a, token, "dashboard")
    acting = await PopupClient.open("acting@A", server_a, acting_token, "dashboard")
    bystander = await PopupClient.open("user_a@A", server_a, world.token("user_a"), "dashboard")
    try:
        first = await publish_popup(server_b, admin, "Before logout", group.id)
        assert await until(lambda: first in watching.arrived_at, 5)

        assert (await _post(server_b, LOGOUT, token))["data"]["logout"]["__typename"] == "Done"
        assert await _closed_with(watching) == (4401, "Session ended: logged out.")
        assert await _closed_with(acting) == (4401, "Session ended: logged out.")
        # The act-as token derived from the logged-out session works nowhere any more.
        for server in (server_a, server_b):
            body = await _post(server, "{ customers { nodes { name } } }", acting_token)
            assert body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"

        second = await publish_popup(server_b, admin, "After logout", group.id)
        assert await until(lambda: second in bystander.arrived_at, 5)
        assert second not in watching.arrived_at
        assert bystander.socket.close_code is None  # other sessions live on
    finally:
        for client in (watching, acting, bystander):
            await client.close()


async def test_expiry_and_deactivation_close_the_websocket(
    two_servers: tuple[LiveServer, LiveServer], world: World, settings: Settings
):
    server_a, server_b = two_servers
    short = await open_session(settings, world.user_a, "10.0.0.1", lifetime_seconds=2)
    expiring = await PopupClient.open("short@A", server_a, short, "dashboard")
    deactivated = await PopupClient.open("user_b@A", server_a, world.token("user_b"), "dashboard")
    try:
        assert await _closed_with(expiring) == (4401, "Session expired.")
        body = await _post(
            server_b,
            "mutation($id: ID!) { updateUser(id: $id, input: {isActive: false}) { __typename } }",
            world.token("admin_b"),
            id=gid("User", world.user_b.id),
        )
        assert body["data"]["updateUser"]["__typename"] == "User", body
        assert await _closed_with(deactivated) == (4403, "Account deactivated.")
    finally:
        for client in (expiring, deactivated):
            await client.close()
