"""One delivery attempt: sign the body afresh and POST it to the checked address.

The request goes to the address `resolve_target` checked (not to whatever the host resolves to a
moment later), with the URL's host in the Host header and in TLS SNI; certificates are verified
against that host name. Redirects are never followed. The answer's body is kept truncated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from models.webhooks import WebhookEvent
from services.webhooks.addresses import Target
from services.webhooks.signing import signed_headers
from settings import Settings

MAX_KEPT_BODY = 2000
USER_AGENT = "Channelport-Webhooks/1"
MAX_RETRY_AFTER_SECONDS = 6 * 3600


@dataclass(frozen=True)
class AttemptResult:
    status: int | None
    body: str
    latency_ms: int
    error: str = ""
    retry: bool = False
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def summary(self) -> str:
        return self.error or f"HTTP {self.status}"


def new_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


def _address_url(url: str, target: Target) -> str:
    parts = urlsplit(url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    target: Target,
    event: WebhookEvent,
    secrets_in_force: list[str],
) -> AttemptResult:
    timestamp = int(datetime.now(UTC).timestamp())
    headers = signed_headers(secrets_in_force, event.message_id, timestamp, event.payload)
    headers["host"] = _host_header(url)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    started = time.monotonic()
    try:
        response = await client.post(
            _address_url(url, target),
            content=event.payload.encode(),
            headers=headers,
            extensions=extensions,
        )
    except httpx.HTTPError as error:
        latency = int((time.monotonic() - started) * 1000)
        return AttemptResult(
            None, "", latency, error=f"{type(error).__name__}: {error}"[:500], retry=True
        )
    latency = int((time.monotonic() - started) * 1000)
    return classify(response, latency, MAX_KEPT_BODY)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max((moment - now).total_seconds(), 0.0), MAX_RETRY_AFTER_SECONDS)


def classify(response: httpx.Response, latency_ms: int, keep: int) -> AttemptResult:
    """2xx delivered; 429 and 5xx retried (honouring Retry-After); anything else failed."""
    status = response.status_code
    body = response.text[:keep]
    if 200 <= status < 300:
        return AttemptResult(status, body, latency_ms)
    retry = status == 429 or status >= 500
    wait = retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
    return AttemptResult(
        status,
        body,
        latency_ms,
        error=f"HTTP {status}",
        retry=retry,
        retry_after=wait if retry else None,
    )
