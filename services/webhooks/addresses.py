"""Where webhooks may go: URL checks and the private-address guard.

An endpoint URL is http(s) with a host and no credentials. Before every request the host is
resolved and EVERY address it resolves to is checked: private, loopback, link-local, multicast,
reserved and unspecified addresses are refused unless WEBHOOK_ALLOWED_HOSTS names the host or a
network holding the address. The request then connects to the checked address itself (the URL's
host stays in the Host header and in TLS SNI), so a DNS answer that changes between the check
and the connection cannot send it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.platform.errors import ValidationFailed

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The endpoint's host is (or resolves to) an address webhooks may not reach."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, speak to `host`."""

    scheme: str
    host: str
    port: int
    address: str


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook endpoint, or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"Use at most {MAX_URL_LENGTH} characters."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "A URL cannot contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// URL with a host."
    if parts.username or parts.password:
        return "A webhook URL cannot hold a user name or password."
    if port == 0:
        return "This is not a valid port."
    return None


def _allowed(host: str, address: IPAddress, allowed: tuple[str, ...]) -> bool:
    for entry in allowed:
        if entry == host:
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _public(address.ipv4_mapped)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_addresses(host: str, addresses: list[str], allowed: tuple[str, ...]) -> str:
    """The first address to connect to, if every one may be reached; else AddressRefused."""
    if not addresses:
        raise AddressRefused(f"{host} does not resolve to any address.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if not _public(address) and not _allowed(host, address, allowed):
            raise AddressRefused(
                f"{host} resolves to {address}, a private or local address webhooks may not reach."
            )
    return addresses[0]


async def resolve_target(url: str, allowed: tuple[str, ...]) -> Target:
    """Resolve and check the URL's host (see the module docstring)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"{host} cannot be resolved: {error}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return Target(parts.scheme, host, port, check_addresses(host, addresses, allowed))


def refuse_literal_private_host(url: str, allowed: tuple[str, ...]) -> None:
    """At save time: a URL whose host is a private address literal is refused at once."""
    host = (urlsplit(url).hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            address = ipaddress.ip_address("127.0.0.1")
        else:
            return
    try:
        check_addresses(host, [str(address)], allowed)
    except AddressRefused as refused:
        raise ValidationFailed([("url", str(refused))]) from None
