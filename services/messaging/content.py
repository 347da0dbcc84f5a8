"""What a message is made of: its fields, their validation, and the safe HTML subset of a body.

A body is reduced to the safe subset when saved (no scripts, styles, event handlers or
javascript: URLs); its plain-text form goes into the text part of an email.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nh3

from models.messaging import MessageKind
from models.partners import PartnerGroup
from services.platform.errors import ValidationFailed
from services.platform.validation import clean_text

MAX_TITLE_LENGTH = 300
MAX_BODY_LENGTH = 100_000
MAX_PAGES = 20
MAX_GROUPS = 100

# The safe HTML subset of a message body: text formatting, lists, links, images, simple tables.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,99}$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


@dataclass
class MessageFields:
    """Fields of a message to create or change; None leaves a field as it is."""

    title: str | None = None
    body: str | None = None
    language: str | None = None
    all_partners: bool | None = None
    group_ids: list[int] | None = None
    locales: list[str] | None = None
    pages: list[str] | None = None
    ends_at: datetime | None = None
    clear_ends_at: bool = False

    def touches_audience(self) -> bool:
        return any(v is not None for v in (self.all_partners, self.group_ids, self.locales))


def sanitise_body(body: str) -> str:
    """Keep only the safe HTML subset: no scripts, styles, event handlers or javascript: URLs."""
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def body_as_text(body_html: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h[1-4]>|</tr>", "\n", body_html)
    text = html.unescape(nh3.clean(text, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def normalise_locale(value: str) -> str:
    return value.strip().lower().replace("_", "-")


async def validated_fields(fields: MessageFields, kind: MessageKind) -> dict[str, Any]:
    """The model values for `fields`, or ValidationFailed listing every problem."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    if fields.title is not None:
        title = " ".join(
            clean_text(fields.title, "title", problems, max_length=MAX_TITLE_LENGTH).split()
        )
        if not title:
            problems.append(("title", "A title is required."))
        values["title"] = title
    if fields.body is not None:
        body_problems: list[tuple[str, str]] = []
        clean_text(fields.body, "body", body_problems, max_length=MAX_BODY_LENGTH, multiline=True)
        problems.extend(body_problems)
        if not body_problems:
            body_html = sanitise_body(fields.body)
            if not body_as_text(body_html) and "<img" not in body_html:
                problems.append(("body", "The body is empty."))
            values["body_html"] = body_html
    if fields.language is not None:
        language = normalise_locale(fields.language)
        if not _LOCALE.match(language):
            problems.append(("language", "Use a language code such as en, nl or de-AT."))
        values["language"] = language
    if fields.locales is not None:
        locales = sorted({normalise_locale(v) for v in fields.locales})
        if any(not _LOCALE.match(v) for v in locales):
            problems.append(("locales", "Use locale codes such as en, nl or de-AT."))
        values["locales"] = locales
    if fields.all_partners is not None:
        values["all_partners"] = fields.all_partners
    if fields.group_ids is not None:
        group_ids = sorted(set(fields.group_ids))
        if len(group_ids) > MAX_GROUPS:
            problems.append(("groupIds", f"At most {MAX_GROUPS} groups."))
        elif await PartnerGroup.filter(id__in=group_ids).count() != len(group_ids):
            problems.append(("groupIds", "Partner group not found."))
        values["group_ids"] = group_ids
    popup_only = fields.pages is not None or fields.ends_at is not None or fields.clear_ends_at
    if popup_only and kind is MessageKind.EMAIL:
        problems.append(("pages", "Pages and an end date are for pop-ups only."))
    if fields.pages is not None:
        pages = list(dict.fromkeys(p.strip() for p in fields.pages))
        if len(pages) > MAX_PAGES or any(not _PAGE_NAME.match(p) for p in pages):
            problems.append(
                ("pages", f"Up to {MAX_PAGES} page names of letters, digits and _ . / : -.")
            )
        values["pages"] = pages
    if fields.ends_at is not None:
        values["ends_at"] = aware(fields.ends_at)
    elif fields.clear_ends_at:
        values["ends_at"] = None
    if problems:
        raise ValidationFailed(problems)
    return values
