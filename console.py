"""The admin console: GraphiQL served with all its assets from this app (works offline)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.responses import HTMLResponse

STATIC_DIRECTORY = Path(__file__).resolve().parent / "static"


def static_directory() -> Path:
    return STATIC_DIRECTORY


@lru_cache(maxsize=1)
def _console_html() -> str:
    return (STATIC_DIRECTORY / "console" / "index.html").read_text(encoding="utf-8")


def console_page() -> HTMLResponse:
    return HTMLResponse(
        _console_html(),
        headers={
            # Everything the page needs comes from this origin: no CDN, works with no internet.
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; connect-src 'self' ws: wss:; font-src 'self' data:"
            ),
        },
    )
