"""Trusted documents: with TRUSTED_DOCUMENTS set, only the manifest's operations run, by hash.

The manifest is built with `channelport trusted-documents build` from the portal's operations
(tests/portal/operations) plus a small clock subscription, and the locked app is checked over
HTTP POST, HTTP GET and (against a real uvicorn process) the websocket.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette

from app import create_app
from resolvers.platform.trusted_documents import document_hash, load_trusted_documents
from settings import ConfigError, Settings
from tests.conftest import (
    PROJECT_ROOT,
    World,
    make_settings,
    server_environment,
    start_live_server,
    stop_live_server,
)

OPERATIONS = sorted((PROJECT_ROOT / "tests/portal/operations").glob("*.graphql"))
CLOCK = "subscription Clock {\n  serverTime(intervalSeconds: 0.05, count: 2)\n}"
ME = "query PortalMe { me { email } }"


def build_manifest_with_cli(directory: Path) -> tuple[Path, dict[str, str]]:
    clock_file = directory / "clock.graphql"
    clock_file.write_text(CLOCK, encoding="utf-8")
    command = [sys.executable, "cli.py", "trusted-documents", "build"]
    command += [*map(str, OPERATIONS), str(clock_file)]
    built = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    manifest = json.loads(built.stdout)
    path = directory / "manifest.json"
    path.write_text(built.stdout, encoding="utf-8")
    return path, manifest


def named(manifest: dict[str, str], operation: str) -> str:
    """The hash of the manifest's document for `operation`."""
    (sha256,) = [key for key, text in manifest.items() if f" {operation}" in text.split("{")[0]]
    return sha256


@pytest.fixture
def manifest(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return build_manifest_with_cli(tmp_path)


@pytest.fixture
async def locked(
    world: World, database_url: str, tmp_path: Path, manifest: tuple[Path, dict[str, str]]
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the app with TRUSTED_DOCUMENTS set (same database as `world`)."""
    settings = make_settings(database_url, tmp_path / "locked", TRUSTED_DOCUMENTS=str(manifest[0]))
    application: Starlette = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("10.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
            yield client


def bearer(world: World, name: str = "user_a") -> dict[str, str]:
    return {"authorization": f"Bearer {world.token(name)}"}


def persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


def refusal(response: httpx.Response) -> str:
    body = response.json()
    assert body["data"] is None, body
    (error,) = body["errors"]
    return error["extensions"]["code"]


def test_the_cli_builds_one_document_per_operation_with_its_fragments(manifest) -> None:
    _, documents = manifest
    assert all(document_hash(text) == sha256 for sha256, text in documents.items())
    me = documents[named(documents, "PortalMe")]
    assert "fragment PortalUser on User" in me
    assert "mutation" not in me
    mark_read = documents[named(documents, "MarkMessageRead")]
    assert "fragment ReceivedPopupFields" in mark_read
    assert "PortalUser" not in mark_read
    assert len(documents) == 11  # 10 portal operations and the clock


async def test_a_known_hash_runs_over_post_and_get(locked, world, manifest) -> None:
    sha256 = named(manifest[1], "PortalMe")
    for request in (
        locked.post("/graphql", json={"extensions": persisted(sha256)}, headers=bearer(world)),
        locked.post("/graphql", json={"documentId": f"sha256:{sha256}"}, headers=bearer(world)),
        locked.post("/graphql", json={"documentId": sha256}, headers=bearer(world)),
        locked.get(
            "/graphql",
            params={"extensions": json.dumps(persisted(sha256))},
            headers=bearer(world),
        ),
        locked.get("/graphql", params={"documentId": f"sha256:{sha256}"}, headers=bearer(world)),
    ):
        response = await request
        assert response.status_code == 200, response.text
        assert response.json()["data"]["me"]["email"] == "user@alpha.test"


async def test_a_known_hash_with_its_own_text_runs(locked, world, manifest) -> None:
    sha256 = named(manifest[1], "PortalMe")
    body = {"query": manifest[1][sha256], "extensions": persisted(sha256)}
    response = await locked.post("/graphql", json=body, headers=bearer(world))
    assert response.json()["data"]["me"]["email"] == "user@alpha.test"


async def test_an_unknown_hash_is_refused(locked, world) -> None:
    unknown = document_hash(ME)
    for body in ({"extensions": persisted(unknown)}, {"documentId": f"sha256:{unknown}"}):
        response = await locked.post("/graphql", json=body, headers=bearer(world))
        assert response.status_code == 400
        assert refusal(response) == "PERSISTED_QUERY_NOT_FOUND"


async def test_query_text_is_refused_when_locked_for_everyone(locked, world) -> None:
    for name in ("user_a", "vendor_admin"):
        response = await locked.post("/graphql", json={"query": ME}, headers=bearer(world, name))
        assert response.status_code == 400
        assert refusal(response) == "TRUSTED_DOCUMENT_REQUIRED"
    response = await locked.get("/graphql", params={"query": ME}, headers=bearer(world))
    assert refusal(response) == "TRUSTED_DOCUMENT_REQUIRED"
    login = 'mutation { login(email: "user@alpha.test", password: "x") { __typename } }'
    response = await locked.post("/graphql", json={"query": login})
    assert refusal(response) == "TRUSTED_DOCUMENT_REQUIRED"


async def test_text_that_is_not_the_hashed_document_is_refused(locked, world, manifest) -> None:
    sha256 = named(manifest[1], "PortalMe")
    body = {
        "query": "query PortalMe { partners { nodes { name } } }",
        "extensions": persisted(sha256),
    }
    response = await locked.post("/graphql", json=body, headers=bearer(world))
    assert refusal(response) == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_a_malformed_hash_reference_is_a_bad_request(locked, world) -> None:
    for body in (
        {"documentId": 12},
        {"extensions": {"persistedQuery": {"sha256Hash": ["x"]}}},
        {"documentId": "md5:abc"},
    ):
        response = await locked.post("/graphql", json=body, headers=bearer(world))
        assert response.status_code == 400
        assert refusal(response) in ("BAD_REQUEST", "PERSISTED_QUERY_NOT_FOUND")


async def test_the_api_is_open_when_unset(gql, world) -> None:
    assert (await gql.data(ME, token=world.token("user_a")))["me"]["email"] == "user@alpha.test"
    response = await gql.http.post(
        "/graphql", json={"extensions": persisted(document_hash(ME))}, headers=bearer(world)
    )
    assert refusal(response) == "PERSISTED_QUERY_NOT_FOUND"  # an APQ link then sends the text


def test_a_manifest_that_does_not_hold_its_hashes_stops_start_up(tmp_path: Path, settings) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({document_hash(ME): ME + " "}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not the SHA-256"):
        load_trusted_documents(str(wrong))
    unparsable = tmp_path / "unparsable.json"
    unparsable.write_text(json.dumps({document_hash("query {"): "query {"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="does not parse"):
        load_trusted_documents(str(unparsable))
    broken = make_settings(settings.database_url, tmp_path / "d", TRUSTED_DOCUMENTS=str(wrong))
    with pytest.raises(SystemExit, match="TRUSTED_DOCUMENTS"):
        create_app(broken)
    missing = make_settings(settings.database_url, tmp_path / "e", TRUSTED_DOCUMENTS="/no/such")
    with pytest.raises(SystemExit, match="cannot read"):
        create_app(missing)


def test_an_apollo_manifest_is_accepted(tmp_path: Path) -> None:
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": document_hash(ME), "name": "PortalMe", "type": "query", "body": ME}],
    }
    path = tmp_path / "apollo.json"
    path.write_text(json.dumps(apollo), encoding="utf-8")
    trusted = load_trusted_documents(str(path))
    assert trusted is not None
    assert trusted.get(document_hash(ME)) == ME


async def _subscribe(ws_url: str, token: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages a subscribe gets until complete or error."""
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        messages = []
        while not messages or messages[-1]["type"] not in ("complete", "error"):
            messages.append(json.loads(await socket.recv()))
        return messages


async def test_the_websocket_runs_only_trusted_documents(
    world: World, settings: Settings, manifest: tuple[Path, dict[str, str]]
) -> None:
    path, documents = manifest
    server = await start_live_server(server_environment(settings, TRUSTED_DOCUMENTS=str(path)))
    try:
        token = world.token("user_a")
        clock = named(documents, "Clock")
        ran = await _subscribe(server.ws_url, token, {"query": "", "extensions": persisted(clock)})
        ran = [m for m in ran if m["type"] == "next"]
        assert len(ran) == 2
        assert all("serverTime" in m["payload"]["data"] for m in ran)
        by_id = await _subscribe(server.ws_url, token, {"documentId": f"sha256:{clock}"})
        assert [m["type"] for m in by_id] == ["next", "next", "complete"]

        unknown = await _subscribe(
            server.ws_url, token, {"query": CLOCK, "extensions": persisted(document_hash(ME))}
        )
        assert unknown[-1]["type"] == "error"
        assert unknown[-1]["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

        raw = await _subscribe(server.ws_url, token, {"query": CLOCK})
        assert raw == [
            {
                "id": "1",
                "type": "error",
                "payload": [
                    {
                        "message": raw[0]["payload"][0]["message"],
                        "extensions": {"code": "TRUSTED_DOCUMENT_REQUIRED"},
                    }
                ],
            }
        ]
    finally:
        stop_live_server(server)
