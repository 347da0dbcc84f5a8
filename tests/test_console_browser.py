"""The admin console in a real headless Chromium, driven over the DevTools protocol.

A real uvicorn process serves the app; Chromium has every host but loopback blocked, and the test
records every request the page makes. The admin signs in through the page's form, runs a query, a
mutation and a subscription through GraphiQL's editor and run button, and signs out.

Needs Debian's `chromium` package (or CHROMIUM=/path/to/chromium). Set CONSOLE_SCREENSHOT=<file.png>
to keep a screenshot of the console after the query ran.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import websockets

from console import CONTENT_SECURITY_POLICY
from models.enums import Role
from models.partners import PartnerOrg
from tests.conftest import TEST_PASSWORD, LiveServer, make_user

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
    # Offline, as on a machine with no internet: no name resolves but 127.0.0.1, and everything
    # that is not loopback goes to a proxy on a port that nothing listens on.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--remote-debugging-port=0",
]

# Runs in the page before its own scripts: records what the Content-Security-Policy blocks.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""

RESULT_TEXT = """(() => {
  const editor = document.querySelector('.graphiql-response .CodeMirror');
  return editor ? editor.CodeMirror.getValue() : '';
})()"""

QUERY_TEXT = """(() => {
  const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
  return editor ? editor.CodeMirror.getValue() : null;
})()"""

CREATE_PARTNER = """mutation {
  createPartner(
    input: {name: "PARTNER_NAME", country: "NL"}
    firstAdmin: {email: "first@console-partner.test", fullName: "First Admin"}
  ) {
    __typename
    ... on Partner { name }
    ... on OperationErrors { errors { message } }
  }
}"""


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "Chromium is needed (Debian package `chromium`), or deselect with -m 'not slow'."
        )
    return path


class DevToolsError(Exception):
    pass


class DevTools:
    """A minimal Chrome DevTools Protocol client: commands, and every event kept in order."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.session_id: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.connection:
            message = json.loads(raw)
            future = self.pending.pop(message.get("id", -1), None)
            if future is None:
                self.events.append(message)
            elif "error" in message:
                future.set_exception(DevToolsError(message["error"]))
            else:
                future.set_result(message.get("result", {}))

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command to the page (or to the browser before a page is attached)."""
        command_id = next(self.ids)
        command: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if self.session_id is not None:
            command["sessionId"] = self.session_id
        future = asyncio.get_running_loop().create_future()
        self.pending[command_id] = future
        await self.connection.send(json.dumps(command))
        return await asyncio.wait_for(future, timeout=30)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise DevToolsError(result["exceptionDetails"])
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 15) -> Any:
        """Poll `expression` in the page until it is truthy, and return its value."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for: {expression}")
            await asyncio.sleep(0.1)

    async def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = await self.wait_for(
            f"""(() => {{
              const element = document.querySelector({json.dumps(selector)});
              if (!element || element.offsetParent === null) return null;
              const rect = element.getBoundingClientRect();
              return {{x: rect.x + rect.width / 2, y: rect.y + rect.height / 2}};
            }})()"""
        )
        for event_type in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                {
                    "type": event_type,
                    "x": box["x"],
                    "y": box["y"],
                    "button": "left",
                    "clickCount": 1,
                },
            )

    async def type_into(self, selector: str, text: str) -> None:
        """Click into a field, select what it holds and type `text` over it."""
        await self.click(selector)
        await self.press_select_all()
        await self.send("Input.insertText", {"text": text})

    async def press_select_all(self) -> None:
        control = 2
        key = {"key": "a", "code": "KeyA", "windowsVirtualKeyCode": 65, "modifiers": control}
        await self.send(
            "Input.dispatchKeyEvent", {"type": "keyDown", **key, "commands": ["selectAll"]}
        )
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    def events_named(self, method: str) -> list[dict[str, Any]]:
        return [event["params"] for event in self.events if event.get("method") == method]


@contextlib.contextmanager
def chromium_process() -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    with tempfile.TemporaryDirectory(prefix="channelport-chromium-") as profile:
        process = subprocess.Popen(
            [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield process, Path(profile)
        finally:
            # Chromium's helpers run in the process group this test started for it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextlib.asynccontextmanager
async def browser_page() -> AsyncIterator[DevTools]:
    """A fresh headless Chromium with one blank page, attached over the DevTools protocol."""
    with chromium_process() as (process, profile):
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
                break
            if process.poll() is not None:
                pytest.fail(f"Chromium exited with {process.returncode}")
            await asyncio.sleep(0.05)
        else:
            pytest.fail("Chromium did not open its DevTools port within 15 seconds")
        port, browser_path = port_file.read_text().splitlines()[:2]
        async with websockets.connect(f"ws://127.0.0.1:{port}{browser_path}", max_size=None) as ws:
            devtools = DevTools(ws)
            target = await devtools.send("Target.createTarget", {"url": "about:blank"})
            attached = await devtools.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )
            devtools.session_id = attached["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                await devtools.send(f"{domain}.enable")
            await devtools.send(
                "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP_VIOLATIONS}
            )
            try:
                yield devtools
            finally:
                devtools.reader.cancel()


async def run_in_graphiql(page: DevTools, operation: str, expect: str) -> dict[str, Any]:
    """Type `operation` into GraphiQL's editor, press its run button, return the shown result."""
    await page.type_into(".graphiql-query-editor .CodeMirror-lines", operation)
    assert await page.evaluate(QUERY_TEXT) == operation
    await page.click(".graphiql-execute-button")
    shown = await page.wait_for(
        f"(() => {{ const text = {RESULT_TEXT}; "
        f"return text.includes({json.dumps(expect)}) && text; }})()"
    )
    return json.loads(shown)


async def test_console_signs_in_and_runs_operations_offline(live_server: LiveServer) -> None:
    email = f"console-{secrets.token_hex(4)}@vendor.test"
    await make_user(email, Role.VENDOR_ADMIN, full_name="Console Admin")
    partner_name = f"Console Partner {secrets.token_hex(3)}"
    port = urlsplit(live_server.url).port
    async with httpx.AsyncClient() as client:
        refused = await client.post(
            f"{live_server.url}/graphql",
            json={
                "query": 'mutation($e: String!) { login(email: $e, password: "wrong") '
                "{ ... on OperationErrors { errors { message } } } }",
                "variables": {"e": email},
            },
        )
    refusal_from_api = refused.json()["data"]["login"]["errors"][0]["message"]

    async with browser_page() as page:
        await page.send("Page.navigate", {"url": f"{live_server.url}/graphql"})
        await page.wait_for("document.getElementById('cp-sign-in')?.hidden === false")

        # A wrong password is refused on the form and leaves no token behind.
        await page.type_into("#cp-email", email)
        await page.type_into("#cp-password", "not the password")
        await page.click("#cp-login-button")
        refusal = await page.wait_for("document.getElementById('cp-login-message').textContent")
        assert refusal == refusal_from_api
        assert await page.evaluate("sessionStorage.getItem('channelport.console.token')") is None
        assert await page.evaluate("document.querySelector('.graphiql-container') === null")

        await page.type_into("#cp-password", TEST_PASSWORD)
        await page.click("#cp-login-button")
        await page.wait_for("document.querySelector('.graphiql-execute-button') !== null")
        shown_email = await page.evaluate("document.getElementById('cp-session-email').textContent")
        assert shown_email == email
        token = await page.evaluate("sessionStorage.getItem('channelport.console.token')")
        assert token

        me = await run_in_graphiql(page, "{ me { email role } }", email)
        assert me == {"data": {"me": {"email": email, "role": "VENDOR_ADMIN"}}}

        screenshot = await page.send("Page.captureScreenshot", {"format": "png"})
        png = base64.b64decode(screenshot["data"])
        assert png.startswith(b"\x89PNG")
        if os.environ.get("CONSOLE_SCREENSHOT"):
            await asyncio.to_thread(Path(os.environ["CONSOLE_SCREENSHOT"]).write_bytes, png)

        created = await run_in_graphiql(
            page, CREATE_PARTNER.replace("PARTNER_NAME", partner_name), partner_name
        )
        assert created["data"]["createPartner"]["__typename"] != "OperationErrors", created
        assert await PartnerOrg.filter(name=partner_name).exists()
        partners = await run_in_graphiql(
            page, "{ partners { edges { node { name } } } }", partner_name
        )
        assert [edge["node"]["name"] for edge in partners["data"]["partners"]["edges"]] == [
            partner_name
        ]

        # A subscription goes over the websocket, authenticated by the token in connection_init.
        ticks = await run_in_graphiql(
            page, "subscription { serverTime(intervalSeconds: 0.1, count: 2) }", "serverTime"
        )
        assert ticks["data"]["serverTime"]

        # GraphiQL's dialogs work under the page's Content-Security-Policy.
        await page.click('[aria-label="Open settings dialog"]')
        await page.wait_for("document.querySelector('.graphiql-dialog') !== null")
        escape = {"key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27}
        await page.send("Input.dispatchKeyEvent", {"type": "keyDown", **escape})
        await page.send("Input.dispatchKeyEvent", {"type": "keyUp", **escape})
        await page.wait_for("document.querySelector('.graphiql-dialog') === null")

        await page.click("#cp-logout")
        await page.wait_for("document.getElementById('cp-sign-in').hidden === false")
        assert await page.evaluate("sessionStorage.getItem('channelport.console.token')") is None
        assert await page.evaluate("document.querySelector('.graphiql-container') === null")

        violations = await page.evaluate("window.__cspViolations")
        meta_policy = await page.evaluate(
            "document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content"
        )
        requests = [event["request"] for event in page.events_named("Network.requestWillBeSent")]
        sockets = page.events_named("Network.webSocketCreated")
        frames_sent = page.events_named("Network.webSocketFrameSent")
        exceptions = page.events_named("Runtime.exceptionThrown")

    # The page worked without one request leaving this machine, and the policy blocked nothing.
    page_responses = [
        event["response"]
        for event in page.events_named("Network.responseReceived")
        if event["type"] == "Document"
    ]
    assert [r["headers"].get("content-security-policy") for r in page_responses] == [
        CONTENT_SECURITY_POLICY
    ]
    assert meta_policy == CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", "")
    assert violations == []
    assert exceptions == []
    urls = [request["url"] for request in requests] + [socket["url"] for socket in sockets]
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "data" or (
            parts.scheme in ("http", "ws") and parts.hostname == "127.0.0.1" and parts.port == port
        ), url
    assert {urlsplit(socket["url"]).path for socket in sockets} == {"/graphql"}
    init_payloads = [
        json.loads(frame["response"]["payloadData"]).get("payload")
        for frame in frames_sent
        if '"connection_init"' in frame["response"]["payloadData"]
    ]
    assert init_payloads == [{"token": token}]

    # Every GraphQL POST after sign-in carried the token, up to and including the logout.
    posts = [r for r in requests if r["method"] == "POST" and urlsplit(r["url"]).path == "/graphql"]
    login_posts = [r for r in posts if "ConsoleLogin" in r.get("postData", "")]
    assert len(login_posts) == 2
    after_sign_in = posts[posts.index(login_posts[-1]) + 1 :]
    assert len(after_sign_in) >= 5  # the schema, me, createPartner, partners, logout
    for request in after_sign_in:
        authorization = {k.lower(): v for k, v in request["headers"].items()}.get("authorization")
        assert authorization == f"Bearer {token}", request["url"]
    assert "ConsoleLogout" in after_sign_in[-1].get("postData", "")

    # The logout ended the session on the server, not only in the page.
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{live_server.url}/graphql",
            json={"query": "{ me { email } }"},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.json().get("errors"), response.json()
