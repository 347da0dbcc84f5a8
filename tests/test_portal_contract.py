"""The portal contract: Apollo Client's InMemoryCache and graphql-ws against a live server.

tests/portal/contract.mjs runs the portal's operations (tests/portal/operations/*.graphql) with
the client stack a React portal uses and reports, as JSON, whether the cache normalised every
record, whether markMessageRead and a lead edit show in the cached lists without a refetch, and
whether the pop-up subscription delivers a pop-up published while it listens. The npm packages
(pinned in tests/portal/package-lock.json) are installed with `npm ci` into a cache folder that
survives between runs: CHANNELPORT_NPM_CACHE, else ~/.cache/channelport/portal-contract.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from settings import Settings
from tests.conftest import TEST_PASSWORD, LiveServer, World
from tests.messaging_support import CREATE, PUBLISH, message_input

pytestmark = pytest.mark.slow

PORTAL = Path(__file__).resolve().parent / "portal"
NPM_TIMEOUT_SECONDS = 300
CONTRACT_TIMEOUT_SECONDS = 120

CREATE_CUSTOMER = """mutation($name: String!) { createCustomer(name: $name, contacts: [
  {role: PRIMARY, email: "ceo@orbit.test", fullName: "Olga Orbit"}]) {
  ... on Customer { id } ... on OperationErrors { errors { field message code } } } }"""


def _cache_root() -> Path:
    configured = os.environ.get("CHANNELPORT_NPM_CACHE")
    return Path(configured) if configured else Path.home() / ".cache/channelport/portal-contract"


def installed_client_stack() -> Path:
    """A folder with tests/portal's pinned packages installed, reused while the lock is the same."""
    if shutil.which("node") is None:
        pytest.skip("the portal contract test needs Node.js (`node` is not on PATH)")
    npm = shutil.which("npm")
    assert npm is not None, "`node` is installed but `npm` is not: install npm to run this test"
    lock = (PORTAL / "package-lock.json").read_bytes()
    folder = (
        _cache_root()
        / hashlib.sha256(lock + (PORTAL / "package.json").read_bytes()).hexdigest()[:16]
    )
    if not (folder / "node_modules" / ".package-lock.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PORTAL / name, folder / name)
        command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
        installed = subprocess.run(
            command, cwd=folder, capture_output=True, text=True, timeout=NPM_TIMEOUT_SECONDS
        )
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    # The script runs from the folder that holds node_modules (ES modules resolve from there).
    shutil.copyfile(PORTAL / "contract.mjs", folder / "contract.mjs")
    return folder


async def _publish_popup(gql: Any, token: str, title: str) -> None:
    data = await gql.data(
        CREATE, {"input": message_input(title=title, allPartners=True)}, token=token
    )
    message_id = data["createMessage"]["id"]
    published = await gql.data(PUBLISH, {"id": message_id}, token=token)
    assert published["publishMessage"]["status"] == "PUBLISHED", published


async def _run_contract(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(folder / "contract.mjs"),
        cwd=folder,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), CONTRACT_TIMEOUT_SECONDS)
    assert stdout, f"the contract script printed nothing (exit {process.returncode}):\n{stderr!r}"
    report = json.loads(stdout)
    assert "crashed" not in report, report["crashed"]
    return report


def _failed(report: dict[str, Any]) -> dict[str, Any]:
    return {name: check for name, check in report["checks"].items() if not check["ok"]}


async def test_the_portal_client_stack_caches_and_updates_every_record(
    live_server: LiveServer, world: World, gql: Any, settings: Settings
) -> None:
    folder = installed_client_stack()
    created = await gql.data(
        CREATE_CUSTOMER, {"name": "Orbit Logistics"}, token=world.token("admin_a")
    )
    assert "id" in created["createCustomer"], created
    await _publish_popup(gql, world.token("vendor_admin"), "Welcome to the portal")

    report = await _run_contract(
        folder,
        {
            "GRAPHQL_URL": f"{live_server.url}/graphql",
            "GRAPHQL_WS_URL": live_server.ws_url,
            "PORTAL_EMAIL": world.admin_a.email,
            "PORTAL_PASSWORD": TEST_PASSWORD,
            "ADMIN_TOKEN": world.token("vendor_admin"),
            "OPERATIONS_DIR": str(PORTAL / "operations"),
            "ADMIN_OPERATIONS_DIR": str(PORTAL / "admin"),
        },
    )

    assert report["user"] == {"email": world.admin_a.email, "partner": "Alpha Partners"}
    assert _failed(report) == {}, json.dumps(_failed(report), indent=2)
    assert report["ok"] is True
