"""The failed-login limit holds under concurrency: in one process and across two web processes
sharing one database, no more attempts get their password checked than the limit allows."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from starlette.applications import Starlette

from models.users import AuthSession, LoginFailure
from services.users.auth import ADDRESS_LIMIT_FACTOR
from settings import Settings
from tests.conftest import (
    TEST_PASSWORD,
    GraphQLClient,
    World,
    server_environment,
    start_live_server,
    stop_live_server,
)

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on OperationErrors { errors { code } }
  }
}"""


def _outcome(body: dict[str, Any]) -> str:
    assert "errors" not in body, body
    payload = body["data"]["login"]
    if payload["__typename"] == "LoginSuccess":
        return "SUCCESS"
    return payload["errors"][0]["code"]


async def _attempts(
    send: Any, email: str, wrong: int, with_right_password: bool = False
) -> Counter[str]:
    passwords = [f"wrong password {n}" for n in range(wrong)]
    if with_right_password:
        passwords.append(TEST_PASSWORD)
    bodies = await asyncio.gather(
        *(send(n, {"email": email, "password": p}) for n, p in enumerate(passwords))
    )
    return Counter(_outcome(body) for body in bodies)


async def test_simultaneous_wrong_passwords_are_checked_no_more_than_the_limit(
    gql: GraphQLClient, world: World, settings: Settings
):
    limit = settings.login_max_failures

    async def send(_n: int, variables: dict[str, str]) -> dict[str, Any]:
        return await gql.request(LOGIN, variables)

    first = await _attempts(send, "user@alpha.test", 60)
    assert first["INVALID_CREDENTIALS"] <= limit
    assert first["RATE_LIMITED"] == 60 - first["INVALID_CREDENTIALS"]
    assert await LoginFailure.filter(email="user@alpha.test").count() <= limit
    # Fill the limit up one by one: then the right password among simultaneous wrong ones is
    # refused like every other attempt.
    for n in range(limit - first["INVALID_CREDENTIALS"]):
        await send(n, {"email": "user@alpha.test", "password": "still wrong"})
    second = await _attempts(send, "user@alpha.test", 20, with_right_password=True)
    assert second == Counter({"RATE_LIMITED": 21})
    assert await AuthSession.filter(user_id=world.user_a.id).count() == 1  # the fixture's


async def test_simultaneous_attempts_on_many_accounts_respect_the_address_limit(
    gql: GraphQLClient, world: World, settings: Settings
):
    address_limit = settings.login_max_failures * ADDRESS_LIMIT_FACTOR

    async def send(n: int, variables: dict[str, str]) -> dict[str, Any]:
        return await gql.request(LOGIN, {**variables, "email": f"someone{n}@alpha.test"})

    outcome = await _attempts(send, "", 3 * address_limit)
    assert outcome["INVALID_CREDENTIALS"] <= address_limit
    assert await LoginFailure.filter(client_address="10.0.0.1").count() <= address_limit
    for n in range(address_limit - outcome["INVALID_CREDENTIALS"]):
        await send(100 + n, {"email": "", "password": "wrong"})
    refused = await gql.request(LOGIN, {"email": "user@alpha.test", "password": TEST_PASSWORD})
    assert _outcome(refused) == "RATE_LIMITED"


async def test_the_limit_holds_across_two_web_processes(
    app: Starlette, world: World, settings: Settings
):
    """Two uvicorn processes on one database: 60 wrong passwords and the right one at once."""
    limit = settings.login_max_failures
    servers = [await start_live_server(server_environment(settings)) for _ in range(2)]
    try:
        async with httpx.AsyncClient(timeout=60) as client:

            async def send(n: int, variables: dict[str, str]) -> dict[str, Any]:
                url = f"{servers[n % 2].url}/graphql"
                response = await client.post(url, json={"query": LOGIN, "variables": variables})
                assert response.status_code == 200, response.text
                return response.json()

            first = await _attempts(send, "admin@alpha.test", 60)
            checked = first["INVALID_CREDENTIALS"]
            assert checked <= limit, first
            assert first["RATE_LIMITED"] == 60 - checked
            assert await LoginFailure.filter(email="admin@alpha.test").count() == checked
            # Fill the limit up, one by one, then fire the right password with wrong ones.
            for n in range(limit - checked):
                await send(n, {"email": "admin@alpha.test", "password": "still wrong"})
            second = await _attempts(send, "admin@alpha.test", 30, with_right_password=True)
            assert second == Counter({"RATE_LIMITED": 31}), second
            assert await AuthSession.filter(user_id=world.admin_a.id).count() == 1
    finally:
        for server in servers:
            stop_live_server(server)
