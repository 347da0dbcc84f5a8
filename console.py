"""The admin console: GraphiQL served with all its assets from this app (works offline).

A browser that opens /graphql gets static/console/index.html. The page loads the vendored GraphiQL,
React and websocket client from /static/console/vendor (see static/console/README.md) and its own
script, static/console/console.js, which signs the user in and sends the bearer token with every
request. The page itself holds no data: everything it shows comes from the API with the token.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.responses import HTMLResponse

STATIC_DIRECTORY = Path(__file__).resolve().parent / "static"
CONSOLE_PAGE = STATIC_DIRECTORY / "console" / "index.html"

# Everything the page needs comes from this origin: no CDN, works with no internet, and no
# inline script (GraphiQL's bundle needs neither 'unsafe-eval' nor inline scripts; the page's own
# code is static/console/console.js). style-src allows 'unsafe-inline' only because GraphiQL's
# dialogs (settings, short keys) lock page scrolling by inserting a <style> element at run time;
# scripts stay strictly 'self'. connect-src names ws:/wss: because not every browser counts a
# same-host websocket as 'self'. index.html repeats this policy (minus frame-ancestors, which a
# <meta> policy cannot carry) for when the file is opened under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def static_directory() -> Path:
    return STATIC_DIRECTORY


@lru_cache(maxsize=1)
def _console_html() -> str:
    return CONSOLE_PAGE.read_text(encoding="utf-8")


def console_page() -> HTMLResponse:
    return HTMLResponse(
        _console_html(),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,  # the rest: platform middleware
            "Cache-Control": "no-cache",
        },
    )
