"""Subscriptions over graphql-transport-ws against a real uvicorn process, and a real client."""

from __future__ import annotations

import json

import pytest
import websockets
from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from services.users.auth import authenticate, logout
from settings import Settings
from tests.conftest import TEST_PASSWORD, LiveServer, World

PROTOCOL = "graphql-transport-ws"
SERVER_TIME = "subscription { serverTime(intervalSeconds: 0.05, count: 3) }"


async def _connect(server: LiveServer, protocol: str = PROTOCOL):
    return await websockets.connect(server.ws_url, subprotocols=[protocol], open_timeout=5)


async def _receive(socket) -> dict:
    return json.loads(await socket.recv())


async def _send_then_receive(socket, message: dict) -> dict:
    await socket.send(json.dumps(message))
    return await _receive(socket)


async def test_authenticated_subscription_streams_values(live_server: LiveServer, world: World):
    async with await _connect(live_server) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"token": world.token("user_a")}})
        )
        assert (await _receive(socket))["type"] == "connection_ack"
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}})
        )
        values = []
        while True:
            message = await _receive(socket)
            if message["type"] == "ping":
                continue
            if message["type"] == "complete":
                break
            assert message["type"] == "next", message
            values.append(message["payload"]["data"]["serverTime"])
        assert len(values) == 3
        assert values == sorted(values)


async def test_bearer_header_style_params_are_accepted(live_server: LiveServer, world: World):
    async with await _connect(live_server) as socket:
        params = {"Authorization": f"Bearer {world.token('admin_b')}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": params}))
        assert (await _receive(socket))["type"] == "connection_ack"


@pytest.mark.parametrize("payload", [{"token": "forged.token"}, {}, {"token": 42}, None])
async def test_bad_or_missing_token_closes_with_4403(
    live_server: LiveServer, world: World, payload: dict | None
):
    async with await _connect(live_server) as socket:
        message: dict = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        await socket.send(json.dumps(message))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd.code == 4403


async def test_revoked_token_is_refused(live_server: LiveServer, world: World, settings: Settings):
    token = world.token("user_a")
    viewer = await authenticate(settings, token)
    assert viewer is not None
    await logout(viewer)
    async with await _connect(live_server) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd.code == 4403


async def test_subscribe_before_init_closes_with_4401(live_server: LiveServer, world: World):
    async with await _connect(live_server) as socket:
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SERVER_TIME}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd.code == 4401


async def test_legacy_graphql_ws_protocol_is_refused(live_server: LiveServer, world: World):
    async with await _connect(live_server, protocol="graphql-ws") as socket:
        # The server closes at once: sending may already fail, receiving certainly does.
        init = {"type": "connection_init", "payload": {"token": world.token("user_a")}}
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _send_then_receive(socket, init)
        assert closed.value.rcvd.code == 4406


async def test_real_graphql_client_logs_in_reads_partners_and_subscribes(
    live_server: LiveServer, world: World
):
    http = HTTPXAsyncTransport(url=f"{live_server.url}/graphql")
    async with Client(transport=http) as session:
        request = gql(
            """mutation($email: String!, $password: String!) {
              login(email: $email, password: $password) { ... on LoginSuccess { token } } }"""
        )
        request.variable_values = {"email": "admin@vendor.test", "password": TEST_PASSWORD}
        result = await session.execute(request)
    token = result["login"]["token"]
    authed = HTTPXAsyncTransport(
        url=f"{live_server.url}/graphql", headers={"authorization": f"Bearer {token}"}
    )
    async with Client(transport=authed) as session:
        partners = await session.execute(gql("{ partners { edges { node { name } } } }"))
    names = [edge["node"]["name"] for edge in partners["partners"]["edges"]]
    assert names == ["Alpha Partners", "Beta Partners"]

    ws = WebsocketsTransport(url=live_server.ws_url, init_payload={"token": token})
    async with Client(transport=ws) as session:
        received = [item async for item in session.subscribe(gql(SERVER_TIME))]
    assert len(received) == 3
