"""Consent requests and their links: issuing a request, signing and checking its token.

Consent tokens have the form `<lead id>.<secret>.<signature>`: the secret is random and only its
SHA-256 is stored, the signature (HMAC with SECRET_KEY) binds lead id, secret and the email the
request was sent to. A token is usable once, until it expires or a resend replaces it
(`open_consent_question` checks it without changing anything). The newsletter's withdraw link
carries a signed, stable token of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from models.consent import ConsentRequest, ConsentRequestState
from models.leads import Lead
from models.outbox import EmailCategory
from models.partners import PartnerOrg
from services.consent.texts import CONSENT_TEXT_VERSION, consent_texts, page_locale
from services.email.outbox import is_valid_address, queue_email
from services.email.suppression import normalise_address
from services.users.auth import sign_value
from services.vendor.service import get_vendor_settings
from settings import Settings

TOKEN_PURPOSE = "consent-request"
WITHDRAW_PURPOSE = "newsletter-withdraw"
CONSENT_EMAIL_SOURCE = "consent_request"


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_signature(settings: Settings, lead_id: int, secret: str, email: str) -> str:
    return sign_value(settings, TOKEN_PURPOSE, f"{lead_id}.{secret}.{email}").rsplit(".", 1)[1]


def make_consent_token(settings: Settings, lead_id: int, secret: str, email: str) -> str:
    return f"{lead_id}.{secret}.{_token_signature(settings, lead_id, secret, email)}"


def consent_url(settings: Settings, token: str, answer: str = "approve") -> str:
    suffix = "" if answer == "approve" else "?answer=decline"
    return f"{settings.public_url}/consent/{token}{suffix}"


def withdraw_token(settings: Settings, email: str) -> str:
    return sign_value(settings, WITHDRAW_PURPOSE, normalise_address(email))


def newsletter_withdraw_url(settings: Settings, email: str) -> str:
    """The unsubscribe link for a newsletter subscriber (stable, signed, usable repeatedly)."""
    return f"{settings.public_url}/consent/withdraw/{withdraw_token(settings, email)}"


def email_of_withdraw_token(settings: Settings, token: str) -> str | None:
    from services.users.auth import unsign_value

    email = unsign_value(settings, WITHDRAW_PURPOSE, token)
    return email if email and is_valid_address(email) else None


class LinkProblem(StrEnum):
    INVALID = "invalid"  # forged, tampered, cut short, or for another lead
    USED = "used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class ConsentLinkError(Exception):
    def __init__(self, problem: LinkProblem, locale: str = "en") -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.locale = locale


@dataclass(frozen=True)
class ConsentQuestion:
    """What the consent page shows for a valid, open token."""

    request: ConsentRequest
    lead: Lead
    partner_name: str
    vendor_name: str
    locale: str

    def texts(self) -> dict[str, str]:
        return consent_texts(
            self.locale,
            partner=self.partner_name,
            vendor=self.vendor_name,
            email=self.request.email,
            expires=self.request.expires_at.strftime("%Y-%m-%d"),
        )


async def _find_request(settings: Settings, token: str) -> ConsentRequest:
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or len(token) > 300:
        raise ConsentLinkError(LinkProblem.INVALID)
    lead_id, secret, signature = int(parts[0]), parts[1], parts[2]
    request = await ConsentRequest.get_or_none(token_hash=_hash_secret(secret))
    if request is None or request.lead_id != lead_id:  # type: ignore[attr-defined]
        raise ConsentLinkError(LinkProblem.INVALID)
    expected = _token_signature(settings, lead_id, secret, request.email)
    if not hmac.compare_digest(expected, signature):
        raise ConsentLinkError(LinkProblem.INVALID)
    return request


def _problem_of(request: ConsentRequest, now: datetime) -> LinkProblem | None:
    if request.state in (ConsentRequestState.APPROVED, ConsentRequestState.DECLINED):
        return LinkProblem.USED
    if request.state is ConsentRequestState.SUPERSEDED:
        return LinkProblem.SUPERSEDED
    if request.state is ConsentRequestState.EXPIRED or request.expires_at <= now:
        return LinkProblem.EXPIRED
    return None


async def open_consent_question(settings: Settings, token: str) -> ConsentQuestion:
    """Check a token without changing anything (the GET of the consent page)."""
    request = await _find_request(settings, token)
    lead = await Lead.get(id=request.lead_id)  # type: ignore[attr-defined]
    locale = page_locale(lead.locale)
    problem = _problem_of(request, datetime.now(UTC))
    if problem is not None or normalise_address(lead.email) != request.email:
        raise ConsentLinkError(problem or LinkProblem.INVALID, locale)
    partner_id: int = request.partner_id  # type: ignore[attr-defined]
    partner_name = await PartnerOrg.filter(id=partner_id).first().values_list("name", flat=True)
    vendor = await get_vendor_settings()
    return ConsentQuestion(request, lead, partner_name or "", vendor.vendor_name, locale)


async def issue_request(
    settings: Settings, lead: Lead, partner: PartnerOrg, requested_by: int | None
) -> ConsentRequest:
    """Create a consent request for `lead` and queue its email (inside the caller's transaction)."""
    vendor = await get_vendor_settings()
    secret = secrets.token_urlsafe(24)
    request = await ConsentRequest.create(
        lead_id=lead.id,
        partner_id=partner.id,
        email=lead.email,
        token_hash=_hash_secret(secret),
        consent_text_version=CONSENT_TEXT_VERSION,
        requested_by_id=requested_by,
        expires_at=datetime.now(UTC) + timedelta(days=vendor.consent_token_lifetime_days),
    )
    token = make_consent_token(settings, lead.id, secret, lead.email)
    locale = page_locale(lead.locale)
    texts = consent_texts(
        locale,
        partner=partner.name,
        vendor=vendor.vendor_name,
        email=lead.email,
        expires=request.expires_at.strftime("%Y-%m-%d"),
    )
    await queue_email(
        settings,
        to=lead.email,
        template="consent_request",
        context={
            "texts": texts,
            "locale": locale,
            "approve_url": consent_url(settings, token, "approve"),
            "decline_url": consent_url(settings, token, "decline"),
        },
        source=CONSENT_EMAIL_SOURCE,
        reference=f"lead:{lead.id}",
        category=EmailCategory.TRANSACTIONAL,
    )
    return request
