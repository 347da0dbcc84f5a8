"""A real SMTP server for email tests: aiosmtpd in its own thread, recording what it accepts.

`SmtpSink` records each accepted message (envelope and parsed message). Its behaviour can be
scripted: refuse some recipients (RCPT 4xx/5xx), answer the next DATA commands with given
replies, drop the connection instead of answering, slow down, or hold message number N until
released (so that a test can kill the client mid-batch), require STARTTLS and AUTH.
A message counts as received only when the server answered 250 to it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

DROP = "drop"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    connection: int

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


@dataclass
class SinkBehaviour:
    # address -> reply to its RCPT (e.g. "550 5.1.1 No such user"), every time.
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    # replies for the next DATA commands, in order ("451 ...", "554 ...", DROP); then 250.
    data_replies: list[str] = field(default_factory=list)
    delay_seconds: float = 0.0
    # Hold the message that would be accepted as number `hold_after + 1` until `release` is set;
    # it is then refused (the client is gone by then).
    hold_after: int | None = None


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.sink.behaviour.rcpt_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        sink = self.sink
        behaviour = sink.behaviour
        if behaviour.delay_seconds:
            await asyncio.sleep(behaviour.delay_seconds)
        with sink.lock:
            scripted = behaviour.data_replies.pop(0) if behaviour.data_replies else None
            hold = (
                behaviour.hold_after is not None
                and not sink.held.is_set()
                and len(sink.received) >= behaviour.hold_after
            )
            if hold:
                sink.held.set()
        if hold:
            await asyncio.to_thread(sink.release.wait)
            return "451 4.3.0 Aborted"
        if scripted == DROP:
            server.transport.close()
            return "421 4.3.0 Closing"
        if scripted is not None:
            return scripted
        content = envelope.original_content or envelope.content or b""
        parsed = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(parsed, EmailMessage)
        with sink.lock:
            sink.received.append(
                Received(
                    sender=envelope.mail_from or "",
                    recipients=tuple(envelope.rcpt_tos),
                    message=parsed,
                    connection=id(session),
                )
            )
        return "250 2.0.0 Accepted"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that records the messages it accepts."""

    def __init__(
        self,
        port: int | None = None,
        behaviour: SinkBehaviour | None = None,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.port = port or free_port()
        self.behaviour = behaviour or SinkBehaviour()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.held = threading.Event()
        self.release = threading.Event()
        self.logins: list[str] = []
        parameters: dict[str, Any] = {}
        if tls_context is not None:
            parameters.update(tls_context=tls_context, require_starttls=True)
        if credentials is not None:
            parameters.update(
                authenticator=self._authenticator(credentials),
                auth_require_tls=tls_context is not None,
                auth_required=True,
            )
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=implicit_tls,
            **parameters,
        )

    def _authenticator(self, credentials: tuple[str, str]) -> Any:
        def check(
            server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == credentials
            )
            if ok:
                self.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)

        return check

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what arrived ----------------------------------------------------------------------

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def message_id_counts(self) -> Counter[str]:
        return Counter(item.message_id for item in self.messages())

    def connections(self) -> int:
        return len({item.connection for item in self.messages()})

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Wait until at least `count` messages arrived (or the timeout), and return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= count:
                break
            time.sleep(0.02)
        return self.messages()


async def until(condition: Callable[[], bool], seconds: float = 10.0, step: float = 0.02) -> bool:
    """Wait (without blocking the event loop) until `condition()` holds; False on timeout."""
    for _ in range(max(1, int(seconds / step))):
        if condition():
            return True
        await asyncio.sleep(step)
    return condition()


def server_tls_context(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate, and the certificate's path."""
    cert, key = self_signed_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key, made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
