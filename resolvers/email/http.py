"""HTTP endpoints of email delivery: tracking links, unsubscribe, bounce reports, the mailbox.

- GET  /email/open/{uid}/{signature}.gif     open pixel: records an open, answers a 1x1 GIF
- GET  /email/click/{uid}/{signature}?url=   records a click, 302 to the signed URL
- GET  /email/unsubscribe/{uid}/{signature}  a confirmation page with a button (mail scanners
                                             follow GET links, so GET never unsubscribes)
- POST /email/unsubscribe/{uid}/{signature}  unsubscribes (the page's button, and RFC 8058
                                             one-click `List-Unsubscribe=One-Click`)
- POST /email/bounces                        bounce reports, `Authorization: Bearer
                                             <BOUNCE_WEBHOOK_SECRET>`
- GET  /admin/mailbox[?limit=]               the local capture mailbox (vendor admins)
- GET  /admin/mailbox/{id}                   one captured email with its bodies (vendor admins)

A link whose signature does not match (forged, altered or cut short) gets 400 and changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from models.outbox import EmailEventKind
from services.email import tracking
from services.email.mailbox import CaptureMailbox, mailbox_directory
from services.email.rendering import render_page
from services.email.suppression import (
    BounceReport,
    email_by_uid,
    is_unsubscribed,
    record_bounce,
    unsubscribe,
)
from services.email.transport import parse_smtp_url
from services.users.auth import authenticate
from settings import Settings

# A transparent 1x1 GIF.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}
MAX_BOUNCES_PER_REPORT = 1000


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _client(request: Request) -> tuple[str, str]:
    address = request.client.host if request.client else ""
    return address, request.headers.get("user-agent", "")


def _invalid_link() -> HTMLResponse:
    return HTMLResponse(
        render_page("invalid_link", {"title": "Invalid link"}), status_code=400, headers=NO_STORE
    )


async def open_pixel(request: Request) -> Response:
    uid = tracking.verify_open_link(
        _settings(request), request.path_params["uid"], request.path_params["signature"]
    )
    if uid is None:
        return Response(status_code=400, headers=NO_STORE)
    address, agent = _client(request)
    await tracking.record_event(uid, EmailEventKind.OPENED, "", address, agent)
    return Response(PIXEL_GIF, media_type="image/gif", headers=NO_STORE)


async def click(request: Request) -> Response:
    target = request.query_params.get("url", "")
    uid = tracking.verify_click_link(
        _settings(request), request.path_params["uid"], request.path_params["signature"], target
    )
    if uid is None:
        return _invalid_link()
    address, agent = _client(request)
    await tracking.record_event(uid, EmailEventKind.CLICKED, target, address, agent)
    return RedirectResponse(target, status_code=302, headers=NO_STORE)


def _mask(address: str) -> str:
    """user@example.com -> u***@example.com: the page may be seen by someone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


async def unsubscribe_page(request: Request) -> Response:
    settings = _settings(request)
    uid = tracking.verify_unsubscribe_link(
        settings, request.path_params["uid"], request.path_params["signature"]
    )
    if uid is None:
        return _invalid_link()
    if request.method == "POST":
        address, agent = _client(request)
        email = await unsubscribe(uid, address, agent)
        done = True
    else:
        email = await email_by_uid(uid)
        done = email is not None and await is_unsubscribed(email)
    if email is None:
        return _invalid_link()
    page = render_page(
        "unsubscribe",
        {
            "title": "You are unsubscribed" if done else "Unsubscribe",
            "done": done,
            "address": _mask(email.recipient),
            "action_url": tracking.unsubscribe_url(settings, uid),
        },
    )
    return HTMLResponse(page, headers=NO_STORE)


def _bounce_from(item: Any) -> BounceReport:
    if not isinstance(item, dict):
        raise ValueError("each bounce must be an object")
    recipient = item.get("recipient")
    if not isinstance(recipient, str) or "@" not in recipient:
        raise ValueError("`recipient` must be an email address")
    message_id = item.get("message_id")
    if message_id is not None and not isinstance(message_id, str):
        raise ValueError("`message_id` must be a string")
    kind = item.get("type", "permanent")
    if kind not in ("permanent", "temporary"):
        raise ValueError("`type` must be 'permanent' or 'temporary'")
    diagnostic = item.get("diagnostic", "")
    if not isinstance(diagnostic, str):
        raise ValueError("`diagnostic` must be a string")
    return BounceReport(
        recipient=recipient,
        message_id=message_id or None,
        permanent=kind == "permanent",
        diagnostic=diagnostic,
    )


async def bounce_report(request: Request) -> Response:
    """Bounce reports from the mail provider.

    Body: one bounce or `{"bounces": [...]}`; a bounce is `{"recipient": "...", "message_id":
    "<...>" (optional), "type": "permanent" | "temporary" (default permanent), "diagnostic":
    "..."}`. Nothing is applied unless the whole body is valid.
    """
    secret = _settings(request).bounce_webhook_secret
    if not secret:
        return JSONResponse(
            {"error": "Bounce reports are disabled: BOUNCE_WEBHOOK_SECRET is not set."},
            status_code=403,
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), secret.encode()):
        return JSONResponse(
            {"error": "A valid bounce webhook secret is required."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        body = json.loads(await request.body())
        items = body.get("bounces", [body]) if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise ValueError('expected a bounce object or {"bounces": [...]}')
        if len(items) > MAX_BOUNCES_PER_REPORT:
            raise ValueError(f"at most {MAX_BOUNCES_PER_REPORT} bounces per report")
        reports = [_bounce_from(item) for item in items]
    except ValueError as error:
        return JSONResponse({"error": f"Invalid bounce report: {error}"}, status_code=400)
    matched = 0
    for report in reports:
        if await record_bounce(report) is not None:
            matched += 1
    return JSONResponse({"processed": len(reports), "matched_emails": matched})


async def _require_vendor_admin(request: Request) -> Response | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    viewer = None
    if scheme.lower() == "bearer" and token:
        viewer = await authenticate(_settings(request), token)
    if viewer is None:
        return JSONResponse(
            {"error": "You need to log in."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not viewer.is_vendor_admin:
        return JSONResponse({"error": "Only vendor admins can read the mailbox."}, status_code=403)
    return None


def _mailbox(settings: Settings) -> CaptureMailbox:
    return CaptureMailbox(mailbox_directory(settings))


async def mailbox_list(request: Request) -> Response:
    refused = await _require_vendor_admin(request)
    if refused is not None:
        return refused
    settings = _settings(request)
    try:
        limit = min(max(int(request.query_params.get("limit", "50")), 1), 500)
    except ValueError:
        return JSONResponse({"error": "`limit` must be a whole number."}, status_code=400)
    entries = await asyncio.to_thread(_mailbox(settings).entries, limit)
    return JSONResponse(
        {
            "capture": parse_smtp_url(settings.smtp_url) is None,
            "messages": [entry.as_dict() for entry in entries],
        },
        headers=NO_STORE,
    )


async def mailbox_message(request: Request) -> Response:
    refused = await _require_vendor_admin(request)
    if refused is not None:
        return refused
    message = await asyncio.to_thread(
        _mailbox(_settings(request)).message, request.path_params["mail_id"]
    )
    if message is None:
        return JSONResponse({"error": "No such email in the mailbox."}, status_code=404)
    return JSONResponse(message.as_dict(), headers=NO_STORE)


def email_routes() -> list[Route]:
    return [
        Route("/email/open/{uid}/{signature}.gif", open_pixel, methods=["GET"]),
        Route("/email/click/{uid}/{signature}", click, methods=["GET"]),
        Route("/email/unsubscribe/{uid}/{signature}", unsubscribe_page, methods=["GET", "POST"]),
        Route("/email/bounces", bounce_report, methods=["POST"]),
        Route("/admin/mailbox", mailbox_list, methods=["GET"]),
        Route("/admin/mailbox/{mail_id}", mailbox_message, methods=["GET"]),
    ]
