"""Rendering emails and the small pages behind email links from Jinja2 templates.

An email template `<name>` is three files in `templates/`: `<name>.subject.txt`, `<name>.txt` (the
plain-text body) and `<name>.html` (the HTML body). HTML templates are autoescaped, the text ones
are not (they are never shown as HTML). Templates usually extend `layout.html` / `layout.txt`,
which add the footer and, for marketing mail, the unsubscribe link.

Undefined variables are errors: a template that names a value the caller forgot fails loudly at
queueing time, inside the caller's transaction, instead of sending a half-empty email.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TEMPLATE_DIRECTORY = Path(__file__).resolve().parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIRECTORY),
    autoescape=lambda name: name is not None and name.endswith(".html"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

# An <a ... href="..."> attribute with an absolute http(s) URL, quoted with " or '.
_LINK = re.compile(
    r"""(?P<start><a\b[^>]*?\bhref\s*=\s*)(?P<quote>["'])(?P<url>https?://[^"'\s]+)(?P=quote)""",
    re.IGNORECASE,
)
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render the subject, text and HTML bodies of an email template with `context`."""
    try:
        subject_template = _environment.get_template(f"{template}.subject.txt")
        text_template = _environment.get_template(f"{template}.txt")
        html_template = _environment.get_template(f"{template}.html")
    except TemplateNotFound as missing:
        raise ValueError(
            f"Unknown email template {template!r}: {missing.name} is missing"
        ) from None
    # A subject is one line: newlines in it would be a header injection.
    subject = " ".join(subject_template.render(context).split())
    text = _BLANK_LINES.sub("\n\n", text_template.render(context)).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html_template.render(context))


def render_page(template: str, context: Mapping[str, Any]) -> str:
    """Render one of the HTML pages in `templates/pages/` (unsubscribe confirmation, ...)."""
    return _environment.get_template(f"pages/{template}.html").render(context)


def rewrite_links(body: str, tracked_url: Callable[[str], str], keep: Callable[[str], bool]) -> str:
    """Replace each absolute http(s) link in the HTML `body` by `tracked_url(link)`.

    Links for which `keep(link)` is true (our own unsubscribe and tracking links) stay as they
    are. Attribute values are HTML-escaped, so the URL is unescaped before it is signed and the
    new URL escaped again.
    """

    def replace(match: re.Match[str]) -> str:
        url = html.unescape(match.group("url"))
        if keep(url):
            return match.group(0)
        quote = match.group("quote")
        return f"{match.group('start')}{quote}{html.escape(tracked_url(url), quote=True)}{quote}"

    return _LINK.sub(replace, body)


def add_open_pixel(body: str, pixel_url: str) -> str:
    """Put a 1x1 tracking image at the end of the HTML `body` (before `</body>` if there is one)."""
    image = (
        f'<img src="{html.escape(pixel_url, quote=True)}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0;">'
    )
    position = body.lower().rfind("</body>")
    if position == -1:
        return body + image
    return body[:position] + image + body[position:]
