"""ASGI middleware for every HTTP response: one set of security headers, quiet client hang-ups.

Every response gets X-Frame-Options, X-Content-Type-Options and Referrer-Policy; every HTML page
(consent and withdrawal pages, email pages such as unsubscribe, the console, error pages, static
HTML) also gets a Content-Security-Policy unless the page brings its own: the strict page policy,
or under /static the console's policy, which lets the console's own scripts run.

A client that disconnects before its request is read is not an error of ours: it is logged at
INFO without a traceback instead of reaching the server's error log.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import CONTENT_SECURITY_POLICY as CONSOLE_POLICY

log = logging.getLogger("channelport")

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = CONSOLE_POLICY if scope["path"].startswith("/static/") else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class QuietClientDisconnectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            log.info("The client disconnected before its request to %s was read.", scope["path"])
