"""Passwords, login sessions and bearer tokens, and rate limiting of failed logins.

A bearer token is `<session id>.<signature>`: the signature (keyed by SECRET_KEY) rejects forged
tokens without touching the database, the `AuthSession` row makes tokens revocable and expiring.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, Signer

from models.enums import Role
from models.users import AuthSession, ChannelManagerAssignment, LoginFailure, User
from services.platform.errors import ErrorCode, ServiceError
from services.platform.validation import MAX_EMAIL_LENGTH, without_control_characters
from services.platform.viewer import Viewer
from services.users.session_events import SessionEnd, announce_sessions_ended
from settings import Settings

_password_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a missing account takes as long.
_DUMMY_HASH = _password_hasher.hash(secrets.token_urlsafe(16))
# Failed logins from one client address may reach this many times the per-account limit.
ADDRESS_LIMIT_FACTOR = 4
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def check_password_strength(password: str) -> str | None:
    """A message saying what is wrong with a new password, or None if it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
    if len(password) > 256:
        return "The password must be at most 256 characters long."
    return None


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def _signer(settings: Settings, purpose: str) -> Signer:
    return Signer(settings.secret_key, salt=f"channelport.{purpose}")


def sign_value(settings: Settings, purpose: str, value: str) -> str:
    return _signer(settings, purpose).sign(value).decode()


def unsign_value(settings: Settings, purpose: str, signed: str) -> str | None:
    try:
        return _signer(settings, purpose).unsign(signed).decode()
    except BadSignature:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


async def _reserve_attempt(settings: Settings, email: str, client_address: str) -> None:
    """Record the attempt as a failure before the password is checked, then count.

    The row is written first and committed on its own, so that attempts running at the same
    time (in this process or another one) see each other: the k-th attempt to be written counts
    at least k rows, whatever the database or the number of web processes, and no more than
    LOGIN_MAX_FAILURES attempts per account (four times that per client address) get their
    password checked within the window. A refused attempt takes its row back.
    """
    attempt = await LoginFailure.create(email=email, client_address=client_address[:64])
    since = _now() - timedelta(seconds=settings.login_failure_window_seconds)
    account_attempts = await LoginFailure.filter(email=email, failed_at__gte=since).count()
    address_attempts = await LoginFailure.filter(
        client_address=client_address[:64], failed_at__gte=since
    ).count()
    if (
        account_attempts > settings.login_max_failures
        or address_attempts > settings.login_max_failures * ADDRESS_LIMIT_FACTOR
    ):
        await LoginFailure.filter(id=attempt.id).delete()
        minutes = max(1, settings.login_failure_window_seconds // 60)
        raise ServiceError(
            ErrorCode.RATE_LIMITED,
            f"Too many failed logins. Try again in {minutes} minutes.",
        )


async def login(
    settings: Settings, email: str, password: str, client_address: str
) -> tuple[str, User]:
    """Check the credentials and open a session: returns the bearer token and the user."""
    typed = email.strip().lower()
    # No account has an email with control characters or over the length limit: such an attempt
    # fails (and counts) without reaching the accounts, whose lookup could not store or run it.
    email = without_control_characters(typed)[:MAX_EMAIL_LENGTH]
    await _reserve_attempt(settings, email, client_address)
    user = await User.get_or_none(email=email) if email == typed else None
    # Argon2 takes tens of milliseconds of CPU: off the event loop, other requests go on.
    password_ok = await asyncio.to_thread(
        _verify_password, user.password_hash if user else "", password
    )
    if user is None or not password_ok or not user.is_active or not user.password_hash:
        # The reserved row stays: it is the recorded failure.
        raise ServiceError(ErrorCode.INVALID_CREDENTIALS, "The email or password is not correct.")
    # A successful login clears the account's failures, this attempt's reservation included.
    await LoginFailure.filter(email=email).delete()
    if _password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash", "updated_at"])
    token = await open_session(settings, user, client_address)
    return token, user


async def open_session(
    settings: Settings,
    user: User,
    client_address: str,
    lifetime_seconds: int | None = None,
    acting_customer_id: int | None = None,
    parent_session_id: str | None = None,
) -> str:
    session_id = secrets.token_urlsafe(32)
    lifetime = lifetime_seconds or settings.token_lifetime_seconds
    await AuthSession.create(
        id=session_id,
        user=user,
        expires_at=_now() + timedelta(seconds=lifetime),
        client_address=client_address[:64],
        acting_customer_id=acting_customer_id,
        parent_session_id=parent_session_id,
    )
    return sign_value(settings, "session", session_id)


async def _revoke(session_ids: list[str]) -> list[str]:
    """End these sessions and every session derived from them (act-as tokens); returns the ids
    of all that ended, for `announce_sessions_ended` once the transaction (if any) commits."""
    derived = await AuthSession.filter(
        parent_session_id__in=session_ids, revoked_at=None
    ).values_list("id", flat=True)
    ended = [*session_ids, *derived]
    await AuthSession.filter(id__in=ended, revoked_at=None).update(revoked_at=_now())
    return ended


async def logout(viewer: Viewer) -> None:
    ended = await _revoke([viewer.session_id])
    await announce_sessions_ended(ended, SessionEnd.LOGGED_OUT)


async def revoke_user_sessions(user_id: int) -> list[str]:
    """End every session of a user (and the act-as sessions derived from them): returns their
    ids, to announce with `announce_sessions_ended` after the caller's transaction commits."""
    live = await AuthSession.filter(user_id=user_id, revoked_at=None).values_list("id", flat=True)
    return await _revoke(list(live))


async def _live_session(session_id: str) -> AuthSession | None:
    return await AuthSession.get_or_none(
        id=session_id, revoked_at=None, expires_at__gt=_now()
    ).select_related("user")


async def authenticate(settings: Settings, token: str | None) -> Viewer | None:
    """The viewer a bearer token belongs to, or None: missing, forged, revoked or expired, or
    derived (act-as) from a session that has ended."""
    if not token:
        return None
    session_id = unsign_value(settings, "session", token.strip())
    if session_id is None:
        return None
    session = await _live_session(session_id)
    if session is None or not session.user.is_active:
        return None
    expires_at = session.expires_at
    if session.parent_session_id is not None:
        parent = await _live_session(session.parent_session_id)
        if parent is None:
            return None
        expires_at = min(expires_at, parent.expires_at)
    user = session.user
    managed: frozenset[int] = frozenset()
    if user.role is Role.CHANNEL_MANAGER:
        managed = frozenset(
            await ChannelManagerAssignment.filter(manager_id=user.id).values_list(
                "partner_id", flat=True
            )
        )
    return Viewer(
        user_id=user.id,
        email=user.email,
        role=user.role,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        session_id=session.id,
        managed_partner_ids=managed,
        acting_customer_id=session.acting_customer_id,
        parent_session_id=session.parent_session_id,
        session_expires_at=expires_at,
    )


class TokenFault(StrEnum):
    """Why a bearer token that was sent reaches nobody (no token at all is UNAUTHENTICATED)."""

    INVALID_TOKEN = "INVALID_TOKEN"  # forged, logged out, revoked, or the user deactivated
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # the session (or the one it derives from) ran out


TOKEN_FAULT_MESSAGES = {
    TokenFault.INVALID_TOKEN: "This token is not valid (logged out or revoked): log in again.",
    TokenFault.TOKEN_EXPIRED: "This token has expired: log in again.",
}


async def token_fault(settings: Settings, token: str) -> TokenFault:
    """Why `token`, which `authenticate` refused, is refused: expired or otherwise invalid."""
    session_id = unsign_value(settings, "session", token.strip())
    if session_id is None:
        return TokenFault.INVALID_TOKEN
    expired = False
    for _ in range(2):  # the session, then the one an act-as session derives from
        session = await AuthSession.get_or_none(id=session_id).select_related("user")
        if session is None or session.revoked_at is not None or not session.user.is_active:
            return TokenFault.INVALID_TOKEN
        expired = expired or session.expires_at <= _now()
        if session.parent_session_id is None:
            break
        session_id = session.parent_session_id
    return TokenFault.TOKEN_EXPIRED if expired else TokenFault.INVALID_TOKEN


async def sessions_ended(session_ids: list[str]) -> dict[str, SessionEnd]:
    """Of these sessions, the ones no longer valid and why (the rules of `why_session_ended`,
    for many sessions in a few queries: a process's websockets are checked together)."""
    ended: dict[str, SessionEnd] = {}
    now = _now()
    for start in range(0, len(session_ids), 500):
        chunk = session_ids[start : start + 500]
        rows = await AuthSession.filter(id__in=chunk).values(
            "id", "revoked_at", "expires_at", "user__is_active"
        )
        found = {row["id"]: row for row in rows}
        for session_id in chunk:
            row = found.get(session_id)
            if row is not None and not row["user__is_active"]:
                ended[session_id] = SessionEnd.DEACTIVATED
            elif row is None or row["revoked_at"] is not None:
                ended[session_id] = SessionEnd.LOGGED_OUT
            elif row["expires_at"] <= now:
                ended[session_id] = SessionEnd.EXPIRED
    return ended


def why_viewer_session_ended(viewer: Viewer, ended: dict[str, SessionEnd]) -> SessionEnd | None:
    """Why the viewer's session (or the one it derives from) ended, from `sessions_ended`."""
    for session_id in (viewer.session_id, viewer.parent_session_id):
        if session_id is not None and session_id in ended:
            return ended[session_id]
    return None


async def why_session_ended(viewer: Viewer) -> SessionEnd | None:
    """Why the viewer's session (or the one it derives from) is no longer valid, or None."""
    for session_id in (viewer.session_id, viewer.parent_session_id):
        if session_id is None:
            continue
        session = await AuthSession.get_or_none(id=session_id).select_related("user")
        if session is not None and not session.user.is_active:
            return SessionEnd.DEACTIVATED
        if session is None or session.revoked_at is not None:
            return SessionEnd.LOGGED_OUT
        if session.expires_at <= _now():
            return SessionEnd.EXPIRED
    return None
