"""The MIME bytes of an outbox email, written directly (no `email` package objects per message).

`build_message` writes what the `email.mime` classes and the compat32 generator wrote before, for
a fraction of the CPU (the worker builds one message per email it sends, thousands a minute):

- headers: printable ASCII values as they are, folded at spaces only beyond the 998-character
  line limit (a folded List-Unsubscribe URL confuses some readers); other values as RFC 2047 encoded
  words (base64 UTF-8, at most 75 characters each, one per folded line). A line break in a value
  raises `ValueError` (it would start a new header);
- bodies: UTF-8 text in quoted-printable (readable in the raw message), CRLF line ends; text and
  HTML as `multipart/alternative` with a boundary derived from the email's uid, so every attempt
  sends exactly the same bytes.

tests/test_email_mime.py parses its output and the `email` package's for generated inputs and
compares headers, parts and decoded bodies.
"""

from __future__ import annotations

from base64 import b64encode
from binascii import b2a_qp
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Protocol
from uuid import UUID

MAX_LINE_LENGTH = 998
# 45 bytes of UTF-8 are 60 base64 characters: with `=?utf-8?b?` and `?=`, 72 of the 75 allowed.
_WORD_BYTES = 45
_PART_HEADERS = ("MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n").encode(
    "ascii"
)


class MessageSource(Protocol):
    """What a message is built from (an `OutboxEmail` row, or a claimed row of the sender)."""

    uid: UUID
    message_id: str
    recipient: str
    sender: str
    subject: str
    text_body: str
    html_body: str
    headers: dict[str, str]

    @property
    def created_at(self) -> object: ...


def encoded_words(value: str) -> str:
    """`value` as RFC 2047 base64 encoded words, folded; no word splits a UTF-8 character."""
    data = value.encode("utf-8")
    words = []
    start, end = 0, len(data)
    while start < end:
        stop = min(start + _WORD_BYTES, end)
        while stop < end and data[stop] & 0xC0 == 0x80:  # a continuation byte: step back
            stop -= 1
        words.append(f"=?utf-8?b?{b64encode(data[start:stop]).decode('ascii')}?=")
        start = stop
    return "\r\n ".join(words)


def _fold(line: str) -> str:
    """An ASCII header line longer than the limit, folded at spaces (a longer word stays)."""
    pieces = []
    while len(line) > MAX_LINE_LENGTH:
        cut = line.rfind(" ", 1, MAX_LINE_LENGTH + 1)
        if cut <= 0:
            cut = line.find(" ", MAX_LINE_LENGTH + 1)
            if cut < 0:
                break
        pieces.append(line[:cut])
        line = line[cut:]  # the space starts the continuation line (folding white space)
    pieces.append(line)
    return "\r\n".join(pieces)


def header_line(name: str, value: str) -> str:
    """One header, CRLF-terminated, as it goes on the wire."""
    if not (name.isascii() and name.isprintable()) or ":" in name or " " in name or not name:
        raise ValueError(f"{name!r} is not a header name")
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header contains a line break")
    if not (value.isascii() and value.isprintable()):  # control characters are encoded too
        return f"{name}: {encoded_words(value)}\r\n"
    line = f"{name}: {value}"
    if len(line) > MAX_LINE_LENGTH:
        line = _fold(line)
    return line + "\r\n"


@lru_cache(maxsize=64)
def _from_line(sender: str) -> str:
    """The From header of MAIL_FROM (one value per deployment, hence cached)."""
    # A non-ASCII display name becomes one encoded word, however long: mail readers (this
    # package's parser among them) put a space between the words of a split display name.
    return header_line("From", formataddr(parseaddr(sender), charset="utf-8"))


def quoted_printable(text: str) -> bytes:
    """UTF-8 `text` in quoted-printable with CRLF line ends (CR, LF and CRLF are line breaks)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def _text_part(subtype: str, text: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'.encode("ascii")
        + _PART_HEADERS
        + quoted_printable(text)
    )


def build_message(email: MessageSource) -> bytes:
    """The message of an outbox row as sent over SMTP: the same bytes on every attempt."""
    if email.html_body:
        boundary = f"=_{email.uid.hex}"
        head = (
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\nMIME-Version: 1.0\r\n'
        )
    else:
        head = (
            'Content-Type: text/plain; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n"
        )
    lines = [
        head,
        _from_line(email.sender),
        header_line("To", email.recipient),
        header_line("Subject", email.subject),
        header_line("Date", format_datetime(email.created_at)),  # type: ignore[arg-type]
        header_line("Message-ID", email.message_id),
    ]
    lines.extend(header_line(name, value) for name, value in email.headers.items())
    lines.append("\r\n")
    header = "".join(lines).encode("ascii")
    if not email.html_body:
        return header + quoted_printable(email.text_body)
    delimiter = f"\r\n--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            header,
            delimiter[2:],
            _text_part("plain", email.text_body),
            delimiter,
            _text_part("html", email.html_body),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )
