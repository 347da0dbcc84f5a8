"""A token that was sent but reaches nobody says why: INVALID_TOKEN (forged, logged out, revoked,
user deactivated) or TOKEN_EXPIRED, distinct from no token at all (UNAUTHENTICATED), over HTTP
and in the close reason of a refused websocket connection_init."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import websockets

from models.users import AuthSession, User
from services.users.auth import authenticate, logout
from settings import Settings
from tests.accounts_support import fixed_now, make_customer
from tests.conftest import GraphQLClient, LiveServer, World, gid

ME = "{ me { email } }"
SWITCH = """mutation($id: ID!) { switchAccount(customerId: $id) {
  ... on SwitchAccountGrant { token } } }"""


async def _session_id(settings: Settings, token: str) -> str:
    viewer = await authenticate(settings, token)
    assert viewer is not None
    return viewer.session_id


async def _expire(session_id: str) -> None:
    await AuthSession.filter(id=session_id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )


async def _code(gql: GraphQLClient, token: str | None) -> str:
    body = await gql.request(ME, token=token or "")
    assert body["data"] is None
    return body["errors"][0]["extensions"]["code"]


async def test_http_token_error_codes(gql: GraphQLClient, world: World, settings: Settings):
    assert await _code(gql, None) == "UNAUTHENTICATED"
    assert await _code(gql, "forged.token") == "INVALID_TOKEN"

    logged_out = world.token("user_a")
    viewer = await authenticate(settings, logged_out)
    assert viewer is not None
    await logout(viewer)
    assert await _code(gql, logged_out) == "INVALID_TOKEN"

    expired = world.token("user_b")
    await _expire(await _session_id(settings, expired))
    assert await _code(gql, expired) == "TOKEN_EXPIRED"
    body = await gql.request(ME, token=expired)
    assert body["errors"][0]["message"] == "This token has expired: log in again."

    deactivated = world.token("admin_b")
    await User.filter(id=world.admin_b.id).update(is_active=False)
    assert await _code(gql, deactivated) == "INVALID_TOKEN"
    # A public operation still works with a stale token (e.g. logging in again).
    login = """mutation { login(email: "admin@alpha.test", password: "correct horse battery") {
      __typename } }"""
    assert (await gql.data(login, token=expired))["login"]["__typename"] == "LoginSuccess"


async def test_act_as_token_expires_with_its_parent(gql, world: World, settings: Settings):
    customer = await make_customer(world.partner_a, "Mine", fixed_now())
    parent = world.token("user_a")
    grant = await gql.data(SWITCH, {"id": gid("Customer", customer.id)}, token=parent)
    acting = grant["switchAccount"]["token"]
    query = "{ actingCustomer { name } }"
    assert (await gql.data(query, token=acting))["actingCustomer"] == {"name": "Mine"}
    await _expire(await _session_id(settings, parent))
    body = await gql.request(query, token=acting)
    assert body["errors"][0]["extensions"]["code"] == "TOKEN_EXPIRED"


async def _refusal(server: LiveServer, payload: dict) -> tuple[int, str]:
    async with await websockets.connect(
        server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_websocket_init_close_reasons(live_server: LiveServer, world: World, settings):
    code, reason = await _refusal(live_server, {})
    assert code == 4403
    assert reason.startswith("UNAUTHENTICATED: ")
    code, reason = await _refusal(live_server, {"token": "forged.token"})
    assert code == 4403
    assert reason.startswith("INVALID_TOKEN: ")

    expired = world.token("user_b")
    await _expire(await _session_id(settings, expired))
    code, reason = await _refusal(live_server, {"token": expired})
    assert (code, reason) == (4403, "TOKEN_EXPIRED: This token has expired: log in again.")

    logged_out = world.token("user_a")
    viewer = await authenticate(settings, logged_out)
    assert viewer is not None
    await logout(viewer)
    code, reason = await _refusal(live_server, {"Authorization": f"Bearer {logged_out}"})
    assert code == 4403
    assert reason.startswith("INVALID_TOKEN: ")
