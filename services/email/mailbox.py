"""The local mailbox: where emails go with SMTP_URL=capture:// (the embedded default).

Each delivered email is one `.eml` file in `<data dir>/mailbox/`, named by the email's uid, plus
one line in `index.jsonl` for fast listing. Storing is idempotent: delivering the same email again
(after a crash) rewrites the same file and adds no second index line. A developer reads it with
`channelport mailbox list|show ID`, vendor admins with GET /admin/mailbox.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any

from settings import Settings

INDEX_FILE = "index.jsonl"
_ID = re.compile(r"^[0-9a-f]{6,32}$")


@dataclass(frozen=True)
class MailboxEntry:
    id: str
    date: str
    sender: str
    recipient: str
    subject: str
    message_id: str
    category: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MailboxMessage:
    entry: MailboxEntry
    headers: list[tuple[str, str]]
    text: str
    html: str
    raw: str

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.entry.as_dict(),
            "headers": [{"name": name, "value": value} for name, value in self.headers],
            "text": self.text,
            "html": self.html,
        }


def mailbox_directory(settings: Settings) -> Path:
    return settings.data_dir / "mailbox"


class CaptureMailbox:
    """Emails stored as files in one directory (blocking file I/O: call from a thread)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, mail_id: str) -> Path:
        return self.directory / f"{mail_id}.eml"

    def store(self, mail_id: str, message: bytes, category: str, source: str) -> None:
        if not _ID.match(mail_id):
            raise ValueError(f"invalid mailbox id {mail_id!r}")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(mail_id)
        first_time = not path.exists()
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(message)
        os.replace(temporary, path)
        if not first_time:
            return
        headers = BytesHeaderParser(policy=policy.default).parsebytes(message)
        entry = MailboxEntry(
            id=mail_id,
            date=str(headers["Date"] or ""),
            sender=str(headers["From"] or ""),
            recipient=str(headers["To"] or ""),
            subject=str(headers["Subject"] or ""),
            message_id=str(headers["Message-ID"] or ""),
            category=category,
            source=source,
        )
        line = json.dumps(entry.as_dict(), ensure_ascii=False) + "\n"
        # One write() of one line with O_APPEND: lines of concurrent writers do not interleave.
        descriptor = os.open(self.directory / INDEX_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)

    def entries(self, limit: int | None = None) -> list[MailboxEntry]:
        """The stored emails, newest first."""
        index = self.directory / INDEX_FILE
        if not index.exists():
            return []
        seen: set[str] = set()
        entries: list[MailboxEntry] = []
        for line in reversed(index.read_text(encoding="utf-8").splitlines()):
            try:
                entry = MailboxEntry(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a torn or foreign line
            if entry.id in seen or not self._path(entry.id).exists():
                continue
            seen.add(entry.id)
            entries.append(entry)
            if limit is not None and len(entries) >= limit:
                break
        return entries

    def resolve(self, mail_id: str) -> str | None:
        """The full id of the one stored email whose id starts with `mail_id` (6+ characters)."""
        mail_id = mail_id.strip().lower()
        if not _ID.match(mail_id) or not self.directory.exists():
            return None
        if self._path(mail_id).exists():
            return mail_id
        matches = [path.stem for path in self.directory.glob(f"{mail_id}*.eml")]
        return matches[0] if len(matches) == 1 else None

    def message(self, mail_id: str) -> MailboxMessage | None:
        full_id = self.resolve(mail_id)
        if full_id is None:
            return None
        raw = self._path(full_id).read_bytes()
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        category = source = ""
        for entry in self.entries():
            if entry.id == full_id:
                category, source = entry.category, entry.source
                break
        return MailboxMessage(
            entry=MailboxEntry(
                id=full_id,
                date=str(parsed["Date"] or ""),
                sender=str(parsed["From"] or ""),
                recipient=str(parsed["To"] or ""),
                subject=str(parsed["Subject"] or ""),
                message_id=str(parsed["Message-ID"] or ""),
                category=category,
                source=source,
            ),
            headers=[(name, str(value)) for name, value in parsed.items()],
            text=text_part.get_content() if text_part is not None else "",
            html=html_part.get_content() if html_part is not None else "",
            raw=raw.decode("utf-8", errors="replace"),
        )
