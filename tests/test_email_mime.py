"""The direct MIME writer against the `email` package: for generated emails (non-ASCII names and
subjects, headers long enough to need folding, text-only and text+HTML, List-Unsubscribe), both
outputs parsed by the `email` package give the same headers, parts and decoded bodies."""

from __future__ import annotations

import re
import uuid
from base64 import b64decode
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.email.mime import MAX_LINE_LENGTH, build_message


@dataclass
class Email:
    uid: uuid.UUID
    message_id: str
    recipient: str
    sender: str
    subject: str
    text_body: str
    html_body: str
    headers: dict[str, str] = field(default_factory=dict)
    created_at: datetime = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


# The reference: how messages were built with the email package (email.mime, compat32).
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_WIRE_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)


def _reference_header(name: str, value: str) -> str:
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=76, header_name=name).encode(linesep="\r\n")


def reference_message(email: Email) -> bytes:
    message: Message
    if email.html_body:
        message = MIMEMultipart("alternative", boundary=f"=_{email.uid.hex}")
        message.attach(MIMEText(email.text_body, "plain", _UTF8_QP))  # type: ignore[arg-type]
        message.attach(MIMEText(email.html_body, "html", _UTF8_QP))  # type: ignore[arg-type]
    else:
        message = MIMEText(email.text_body, "plain", _UTF8_QP)  # type: ignore[arg-type]
    name, address = parseaddr(email.sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = email.recipient
    message["Subject"] = _reference_header("Subject", email.subject)
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id
    for header, value in email.headers.items():
        message[header] = _reference_header(header, value)
    return message.as_bytes(policy=_WIRE_POLICY)


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _body(part: EmailMessage) -> str:
    return part.get_content().replace("\r\n", "\n")


def described(message: EmailMessage) -> dict[str, object]:
    """What a reader sees: headers (decoded), the parts' types, charsets and decoded bodies."""
    return {
        "headers": [(name.lower(), str(value)) for name, value in message.items()],
        "parts": [
            (part.get_content_type(), part.get_content_charset(), _body(part))
            for part in (message.iter_parts() if message.is_multipart() else [message])
        ],
        "defects": [type(defect).__name__ for defect in message.defects],
    }


def assert_same_message(email: Email) -> bytes:
    raw = build_message(email)
    assert described(parsed(raw)) == described(parsed(reference_message(email)))
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= MAX_LINE_LENGTH
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare line feeds
    head, _, body = raw.partition(b"\r\n\r\n")
    # (From excepted: its display name is one encoded word, as the email package writes it.)
    others = re.sub(rb"\r\nFrom: [^\r]*", b"", head)
    for word in re.findall(rb"=\?utf-8\?b\?([^?]*)\?=", others):
        assert len(word) + 12 <= 75
        b64decode(word).decode("utf-8")  # each word on its own: no character split
    assert max(len(line) for line in body.split(b"\r\n")) <= 76  # quoted-printable lines
    return raw


# No control characters in header values: the email package refuses CR and LF (so does the
# writer: see the last test) and silently drops the others that str.splitlines() breaks at.
_header_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
    max_size=120,
)
_words = st.lists(
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
    min_size=1,
    max_size=60,
).map(" ".join)
_long_ascii = st.lists(
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=120),
    min_size=10,
    max_size=40,
).map(" ".join)
_names = st.one_of(
    st.sampled_from(["Vendor Channel Team", 'The "Channel" Team', "Jörg Müller", "渠道团队", ""]),
    _header_text.filter(lambda name: not set(name) & set('()<>[]:;@\\,."')),
)


def _mail_from(name: str) -> str:
    """MAIL_FROM as written in the settings: a raw display name, quoted where ASCII needs it."""
    address = "channel@vendor.example"
    return formataddr((name, address)) if name.isascii() else f"{name} <{address}>"


_body_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=600)


@st.composite
def emails(draw: st.DrawFn) -> Email:
    uid = draw(st.uuids())
    headers = {"Auto-Submitted": "auto-generated"}
    if draw(st.booleans()):
        token = draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=10, max_size=300))
        headers["List-Unsubscribe"] = f"<https://portal.vendor.example/unsubscribe/{token}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if draw(st.booleans()):
        headers["X-Campaign"] = draw(st.one_of(_header_text, _long_ascii))
    return Email(
        uid=uid,
        message_id=f"<{uid.hex}@vendor.example>",
        recipient=draw(st.sampled_from(["partner@example.test", "a.b+c@sub.example.test"])),
        sender=_mail_from(draw(_names)),
        subject=draw(st.one_of(_header_text, _words, _long_ascii).filter(str.strip)),
        text_body=draw(_body_text),
        html_body=draw(st.one_of(st.just(""), _body_text.map(lambda text: f"<p>{text}</p>"))),
        headers=headers,
    )


@hypothesis_settings(max_examples=400, deadline=None)
@given(emails())
def test_generated_emails_read_the_same_as_the_email_package_builds_them(email: Email) -> None:
    assert_same_message(email)


def test_a_marketing_email_with_non_ascii_text_html_and_unsubscribe_headers() -> None:
    uid = uuid.UUID(int=7)
    email = Email(
        uid=uid,
        message_id=f"<{uid.hex}@vendor.example>",
        recipient="partner@example.test",
        sender="Vendör Channel Team <channel@vendor.example>",
        subject="Grüße aus Köln ✓ — " * 6,
        text_body="Prüfen Sie bitte.\n.\nFrom here\ntrailing space \nCR\rCRLF\r\n" + "x" * 200,
        html_body="<p>Café</p>",
        headers={
            "List-Unsubscribe": f"<https://portal.vendor.example/u/{'t' * 150}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    raw = assert_same_message(email)
    message = parsed(raw)
    assert message["Subject"] == "Grüße aus Köln ✓ — " * 6
    assert message["From"].addresses[0].display_name == "Vendör Channel Team"
    # The unsubscribe URL stays on one line; encoded words keep within 75 characters.
    assert f"List-Unsubscribe: <https://portal.vendor.example/u/{'t' * 150}>\r\n".encode() in raw
    subject_lines = raw.split(b"\r\nDate:")[0].split(b"Subject: ")[1].split(b"\r\n ")
    assert len(subject_lines) > 1
    assert all(len(word) <= 75 for word in subject_lines)
    assert f'boundary="=_{uid.hex}"'.encode() in raw
    assert build_message(email) == raw  # the same bytes on every attempt


def test_an_ascii_header_beyond_the_line_limit_is_folded_at_spaces() -> None:
    uid = uuid.UUID(int=8)
    subject = " ".join(["word" * 20] * 30)  # 2,429 characters
    email = Email(uid, f"<{uid.hex}@v.example>", "p@example.test", "c@v.example", subject, "", "")
    raw = assert_same_message(email)
    assert parsed(raw)["Subject"] == subject
    assert max(len(line) for line in raw.split(b"\r\n")) <= MAX_LINE_LENGTH


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: someone@example.test", "a\nb", "a\rb"])
def test_a_line_break_in_a_header_is_refused_not_sent(subject: str) -> None:
    uid = uuid.UUID(int=9)
    email = Email(uid, f"<{uid.hex}@v.example>", "p@example.test", "c@v.example", subject, "t", "")
    with pytest.raises(ValueError, match="line break"):
        build_message(email)
