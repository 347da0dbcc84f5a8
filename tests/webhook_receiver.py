"""A real HTTP receiver for webhook tests: verifies every request with `standardwebhooks`."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    """Listens on 127.0.0.1:`port`; keeps the verified payloads and the webhook-ids it saw.

    `secrets` verifies requests of further endpoints sharing this receiver. `delay_seconds` slows
    every answer; with `hold_after` set, the request that would be accepted as number
    `hold_after + 1` sets `held` and waits for `release` before it is accepted (its sender may be
    gone by then, as a killed worker is).
    """

    def __init__(self, port: int, secret: str = "") -> None:
        self.port = port
        self.secret = secret
        self.secrets: list[str] = []
        self.delay_seconds = 0.0
        self.hold_after: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.message_ids: list[str] = []
        self.rejected: list[str] = []
        self.status = 200
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not receiver.verified(body, headers):
                    self.send_response(401)
                    self.end_headers()
                    return
                time.sleep(receiver.delay_seconds)
                with receiver._lock:
                    hold = receiver.hold_after is not None and (
                        len(receiver.received) == receiver.hold_after and not receiver.held.is_set()
                    )
                    if hold:
                        receiver.held.set()
                if hold:
                    receiver.release.wait(60)
                if receiver.status < 300:
                    with receiver._lock:
                        receiver.received.append(json.loads(body))
                        receiver.message_ids.append(headers["webhook-id"])
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def verified(self, body: str, headers: dict[str, str]) -> bool:
        problems = []
        for secret in [s for s in (self.secret, *self.secrets) if s]:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError as error:
                problems.append(str(error))
        self.rejected.append("; ".join(problems))
        return False

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
