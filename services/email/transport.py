"""Where emails are handed over: an SMTP server (aiosmtplib) or the local capture mailbox.

SMTP_URL forms:

- `capture://` (default): store emails in the local mailbox under the data folder.
- `smtp://host:port`: plain SMTP (port 25 by default).
- `smtp://user:password@host:587?starttls=1`: STARTTLS (required, not opportunistic) and AUTH.
- `smtps://user:password@host`: implicit TLS (port 465 by default).

Query options: `starttls=1`, `timeout=<seconds>` (default 30, per SMTP command) and
`cafile=<path>` (trust this CA bundle instead of the system's). User and password are
percent-decoded, so `%40` in them is an `@`.

Failures are sorted into outcomes: RETRY (4xx, refused or dropped connection, timeout: the
sender retries with backoff), BOUNCE (5xx for this recipient or message: permanent) and FAIL
(the email can never be handed to this server, e.g. an address it cannot carry).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sized
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from models.outbox import OutboxEmail
from services.email.mailbox import CaptureMailbox, mailbox_directory
from settings import ConfigError, Settings

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool
    timeout: float
    cafile: str | None


def _flag(value: str, option: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError("SMTP_URL", f"{option} must be 0 or 1, got {value!r}")


def parse_smtp_url(url: str) -> SmtpConfig | None:
    """The SMTP server described by SMTP_URL, or None for `capture://`. Raises `ConfigError`."""
    parts = urlsplit(url)
    if parts.scheme == "capture":
        return None
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError("SMTP_URL", f"expected capture://, smtp:// or smtps://, got {url!r}")
    if not parts.hostname:
        raise ConfigError("SMTP_URL", "names no host")
    options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"starttls", "timeout", "cafile"}
    if unknown:
        raise ConfigError("SMTP_URL", f"unknown option(s): {', '.join(sorted(unknown))}")
    use_tls = parts.scheme == "smtps"
    start_tls = _flag(options.get("starttls", "0"), "starttls")
    if use_tls and start_tls:
        raise ConfigError("SMTP_URL", "smtps:// already uses TLS: drop starttls=1")
    try:
        timeout = float(options.get("timeout", DEFAULT_TIMEOUT_SECONDS))
        port = parts.port
    except ValueError as error:
        raise ConfigError("SMTP_URL", str(error)) from None
    if timeout <= 0:
        raise ConfigError("SMTP_URL", "timeout must be positive")
    if port is None:
        port = 465 if use_tls else 587 if start_tls else 25
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
        timeout=timeout,
        cafile=options.get("cafile"),
    )


class Outcome(StrEnum):
    RETRY = "retry"
    BOUNCE = "bounce"
    FAIL = "fail"


class DeliveryError(Exception):
    """Why one email was not handed over, and whether the connection is still usable."""

    def __init__(self, outcome: Outcome, description: str, connection_lost: bool) -> None:
        super().__init__(description)
        self.outcome = outcome
        self.description = description
        self.connection_lost = connection_lost


def classify_failure(error: BaseException) -> DeliveryError:
    """Sort an exception raised while connecting or sending into a `DeliveryError`."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = error.recipients[0]
        outcome = Outcome.BOUNCE if refused.code >= 500 else Outcome.RETRY
        return DeliveryError(outcome, f"{refused.code} {refused.message}", False)
    if isinstance(
        error,
        aiosmtplib.SMTPConnectError | aiosmtplib.SMTPHeloError | aiosmtplib.SMTPAuthenticationError,
    ):
        # Connecting, greeting or logging in failed: the server or our credentials, not the
        # recipient. The connection is not usable.
        return DeliveryError(Outcome.RETRY, _describe(error), True)
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        # Our envelope sender is refused: not the recipient's fault either.
        return DeliveryError(Outcome.RETRY, _describe(error), False)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        if error.code >= 500:
            return DeliveryError(Outcome.BOUNCE, _describe(error), False)
        # 421: the server is closing the connection.
        return DeliveryError(Outcome.RETRY, _describe(error), error.code == 421)
    if isinstance(error, aiosmtplib.SMTPNotSupported | ValueError | UnicodeError):
        return DeliveryError(Outcome.FAIL, f"cannot be sent: {error}", False)
    # Disconnected, refused, timed out, TLS failure: try again later on a new connection.
    return DeliveryError(Outcome.RETRY, _describe(error), True)


def _describe(error: BaseException) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Transport(Protocol):
    @property
    def connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def begin(self, email: OutboxEmail, message: bytes, sender: str) -> None:
        """Open the mail transaction (envelope sender and recipient): nothing is delivered yet."""

    async def deliver(self, email: OutboxEmail, message: bytes) -> None:
        """Hand the message over: when this returns, the server has accepted it."""

    async def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection, opened once and reused for a whole batch."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._client: aiosmtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def connect(self) -> None:
        await self.close()
        config = self.config
        tls_context = None
        if config.cafile and (config.use_tls or config.start_tls):
            tls_context = ssl.create_default_context(cafile=config.cafile)
        client = aiosmtplib.SMTP(
            hostname=config.hostname,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.use_tls,
            start_tls=config.start_tls,
            timeout=config.timeout,
            tls_context=tls_context,
        )
        await client.connect()
        self._client = client

    def _connected_client(self) -> aiosmtplib.SMTP:
        if self._client is None:
            raise aiosmtplib.SMTPServerDisconnected("not connected")
        return self._client

    async def begin(self, email: OutboxEmail, message: bytes, sender: str) -> None:
        """MAIL FROM and RCPT TO, as `sendmail` sends them; DATA is left to `deliver`."""
        client = self._connected_client()
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        # Internationalised addresses need the server's SMTPUTF8.
        utf8 = not (sender + email.recipient).isascii()
        if utf8 and not client.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
        options = ["SMTPUTF8"] if utf8 else []
        if client.supports_extension("size"):
            options.insert(0, f"size={len(message)}")  # the message's lines already end in CRLF
        encoding = "utf-8" if utf8 else "ascii"
        try:
            await client.mail(sender, options=options, encoding=encoding)
            await client.rcpt(email.recipient, encoding=encoding)
        except aiosmtplib.SMTPRecipientRefused as refused:
            await self._reset(client)
            raise aiosmtplib.SMTPRecipientsRefused([refused]) from None
        except aiosmtplib.SMTPResponseException:
            await self._reset(client)
            raise

    async def deliver(self, email: OutboxEmail, message: bytes) -> None:
        client = self._connected_client()
        try:
            await client.data(message)
        except aiosmtplib.SMTPResponseException:
            await self._reset(client)
            raise

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP) -> None:
        """RSET after a refusal, so that the connection can carry the next email."""
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await client.rset()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            client.close()


class CaptureTransport:
    """Stores emails in the local mailbox instead of sending them."""

    def __init__(self, mailbox: CaptureMailbox) -> None:
        self.mailbox = mailbox

    @property
    def connected(self) -> bool:
        return True

    async def connect(self) -> None:
        return None

    async def begin(self, email: OutboxEmail, message: bytes, sender: str) -> None:
        return None

    async def deliver(self, email: OutboxEmail, message: bytes) -> None:
        await asyncio.to_thread(
            self.mailbox.store, email.uid.hex, message, email.category.value, email.source
        )

    async def close(self) -> None:
        return None


def open_transports(settings: Settings, emails: Sized) -> list[Transport]:
    """The connections to send `emails` over: SMTP_CONNECTIONS (no more than there are emails)
    SMTP connections, or the one local mailbox."""
    config = parse_smtp_url(settings.smtp_url)
    if config is None:
        return [CaptureTransport(CaptureMailbox(mailbox_directory(settings)))]
    return [
        SmtpTransport(config) for _ in range(max(1, min(settings.smtp_connections, len(emails))))
    ]
