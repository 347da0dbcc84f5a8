"""The pages behind the links in consent emails: approve or decline, and unsubscribe.

A GET only shows the question and changes nothing (mail scanners follow links). The answer is the
POST of the page's button; the token travels in the form body, so a page on another site cannot
answer for the customer without the secret token. Pages are plain HTML in the customer's language
(English, Dutch or German), cannot be framed, are not cached and send no referrer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from models.consent import ConsentSource, NewsletterSubscriber
from services.consent.answers import answer_consent_request
from services.consent.ledger import Caller, withdraw_newsletter_consent
from services.consent.texts import consent_texts, page_locale
from services.consent.tokens import (
    ConsentLinkError,
    LinkProblem,
    email_of_withdraw_token,
    open_consent_question,
)
from services.vendor.service import get_vendor_settings
from settings import Settings

MAX_FORM_BYTES = 4096

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
)

# The security headers of every HTML page (CSP, frames, ...): resolvers/platform/web_middleware.py
_PAGE_HEADERS = {"Cache-Control": "no-store"}

_PROBLEM_STATUS = {
    LinkProblem.INVALID: 400,
    LinkProblem.USED: 409,
    LinkProblem.EXPIRED: 410,
    LinkProblem.SUPERSEDED: 410,
}


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _environment.get_template(f"{template}.html").render(context)
    return HTMLResponse(body, status_code=status, headers=_PAGE_HEADERS)


def _texts(locale: str, vendor: str, email: str = "", partner: str = "") -> dict[str, str]:
    return consent_texts(locale, partner=partner, vendor=vendor, email=email, expires="")


async def _problem_page(error: ConsentLinkError) -> HTMLResponse:
    vendor = await get_vendor_settings()
    texts = _texts(error.locale, vendor.vendor_name)
    key = error.problem.value
    return _page(
        "message",
        _PROBLEM_STATUS[error.problem],
        locale=page_locale(error.locale),
        title=texts[f"{key}_title"],
        body=texts[f"{key}_body"],
    )


def _caller(request: Request) -> Caller:
    return Caller(
        client_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    return {name: values[0] for name, values in parsed.items() if values}


async def consent_question_page(request: Request) -> Response:
    """GET /consent/{token}: the question and the buttons. Changes nothing."""
    settings: Settings = request.app.state.settings
    token = request.path_params["token"]
    try:
        question = await open_consent_question(settings, token)
    except ConsentLinkError as error:
        return await _problem_page(error)
    texts = question.texts()
    approve = {"value": "approve", "label": texts["approve"]}
    decline = {"value": "decline", "label": texts["decline"]}
    wants_decline = request.query_params.get("answer") == "decline"
    return _page(
        "question",
        locale=question.locale,
        title=texts["page_title"],
        texts=texts,
        token=token,
        action_url="/consent/answer",
        choices=[decline, approve] if wants_decline else [approve, decline],
    )


async def consent_answer(request: Request) -> Response:
    """POST /consent/answer: the customer's approval or decline (token and answer in the form)."""
    settings: Settings = request.app.state.settings
    form = await _form(request)
    answer = form.get("answer")
    token = form.get("token", "")
    if answer not in ("approve", "decline"):
        return await _problem_page(ConsentLinkError(LinkProblem.INVALID))
    try:
        result = await answer_consent_request(
            settings, token, answer == "approve", _caller(request)
        )
    except ConsentLinkError as error:
        return await _problem_page(error)
    texts = result.question.texts()
    key = "approved" if result.approved else "declined"
    return _page(
        "message",
        locale=result.question.locale,
        title=texts[f"{key}_title"],
        body=texts[f"{key}_body"],
    )


async def _subscriber_locale(email: str) -> str:
    locale = await NewsletterSubscriber.filter(email=email).first().values_list("locale", flat=True)
    return page_locale(locale)


async def withdraw_page(request: Request) -> Response:
    """GET /consent/withdraw/{token}: asks whether to unsubscribe. Changes nothing."""
    settings: Settings = request.app.state.settings
    token = request.path_params["token"]
    email = email_of_withdraw_token(settings, token)
    if email is None:
        return await _problem_page(ConsentLinkError(LinkProblem.INVALID))
    locale = await _subscriber_locale(email)
    vendor = await get_vendor_settings()
    texts = _texts(locale, vendor.vendor_name, email)
    return _page(
        "withdraw",
        locale=locale,
        title=texts["withdraw_title"],
        texts=texts,
        token=token,
        action_url="/consent/withdraw",
    )


async def withdraw(request: Request) -> Response:
    """POST /consent/withdraw: unsubscribe from the newsletter, recorded in the ledger."""
    settings: Settings = request.app.state.settings
    form = await _form(request)
    email = email_of_withdraw_token(settings, form.get("token", ""))
    if email is None:
        return await _problem_page(ConsentLinkError(LinkProblem.INVALID))
    await withdraw_newsletter_consent(email, ConsentSource.SELF_SERVICE, _caller(request))
    locale = await _subscriber_locale(email)
    vendor = await get_vendor_settings()
    texts = _texts(locale, vendor.vendor_name, email)
    return _page(
        "message", locale=locale, title=texts["withdrawn_title"], body=texts["withdrawn_body"]
    )


consent_routes = [
    Route("/consent/answer", consent_answer, methods=["POST"]),
    Route("/consent/withdraw", withdraw, methods=["POST"]),
    Route("/consent/withdraw/{token}", withdraw_page, methods=["GET"]),
    Route("/consent/{token}", consent_question_page, methods=["GET"]),
]
