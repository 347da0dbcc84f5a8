"""Switching into a customer account (act-as): short-lived tokens scoped to one customer, the
audit log of every attempt, and what a partner admin may read of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.accounts import SwitchAccountAudit, SwitchOutcome
from models.customers import Customer
from models.users import AuthSession, User
from services.customers.access import acting_customer_id
from services.customers.common import get_account_settings, utcnow
from services.platform.errors import ErrorCode, ServiceError, forbidden
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer
from services.users.auth import open_session, unsign_value
from settings import Settings

ALREADY_ACTING = "Already acting as a customer: switch from your own session."
NOT_YOUR_CUSTOMER = "No customer of yours has this id."
# The refusal reasons a partner admin may read in the log. Anything else (entries written before,
# which could name the partner that owns the customer) reads as NOT_YOUR_CUSTOMER to them.
_PARTNER_READABLE_REASONS = frozenset({"", ALREADY_ACTING, NOT_YOUR_CUSTOMER})


def switch_reason_for(viewer: Viewer, reason: str) -> str:
    """The refusal reason of a log entry as `viewer` may read it."""
    if viewer.is_vendor_staff or reason in _PARTNER_READABLE_REASONS:
        return reason
    return NOT_YOUR_CUSTOMER


@dataclass(frozen=True)
class SwitchGrant:
    token: str
    customer: Customer
    expires_at: datetime


async def _audit_switch(
    viewer: Viewer,
    customer_id: int,
    outcome: SwitchOutcome,
    reason: str,
    client_address: str,
    now: datetime,
    session_id: str | None = None,
) -> None:
    await SwitchAccountAudit.create(
        user_id=viewer.user_id,
        user_email=viewer.email,
        partner_id=viewer.partner_id,
        customer_id=customer_id,
        outcome=outcome,
        reason=reason,
        session_id=session_id,
        client_address=client_address[:64],
        created_at=now,
    )


async def switch_account(
    settings: Settings,
    viewer: Viewer,
    customer_id: int,
    client_address: str,
    now: datetime | None = None,
) -> SwitchGrant:
    """Issue a short-lived token scoped to one customer the viewer manages, and audit it.

    A refusal (another partner's customer, no such customer, or already acting as a customer)
    is audited as well and changes nothing else.
    """
    now = now or utcnow()
    if await acting_customer_id(viewer) is not None:
        await _audit_switch(
            viewer,
            customer_id,
            SwitchOutcome.REFUSED,
            ALREADY_ACTING,
            client_address,
            now,
        )
        raise forbidden("Switch back to your own session before switching to another account.")
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not viewer.can_see_partner(customer.partner_id):  # type: ignore[attr-defined]
        # The same words whether the customer is missing or another partner's: the log is read
        # by the partner's admins, and who owns a customer id is not theirs to learn. The vendor
        # finds the owner from the customer id.
        await _audit_switch(
            viewer, customer_id, SwitchOutcome.REFUSED, NOT_YOUR_CUSTOMER, client_address, now
        )
        raise ServiceError(ErrorCode.NOT_FOUND, "Customer not found.", "customerId")
    user = await User.get(id=viewer.user_id)
    account_settings = await get_account_settings()
    lifetime = account_settings.switch_token_minutes * 60
    token = await open_session(
        settings,
        user,
        client_address,
        lifetime_seconds=lifetime,
        acting_customer_id=customer.id,
        parent_session_id=viewer.session_id,
    )
    session_id = unsign_value(settings, "session", token)
    await _audit_switch(
        viewer,
        customer.id,
        SwitchOutcome.GRANTED,
        "",
        client_address,
        now,
        session_id=session_id,
    )
    expires = await AuthSession.filter(id=session_id).values_list("expires_at", flat=True)
    return SwitchGrant(token=token, customer=customer, expires_at=expires[0])


async def acting_customer(viewer: Viewer) -> Customer | None:
    """The customer the viewer's act-as token is scoped to (None for an ordinary session)."""
    customer_id = await acting_customer_id(viewer)
    if customer_id is None:
        return None
    return await Customer.get_or_none(id=customer_id)


async def switch_audit_log(
    viewer: Viewer, customer_id: int | None, window: PageWindow
) -> Page[SwitchAccountAudit]:
    """Switch attempts: vendor admins see all, channel managers those of their partners' users,
    partner admins those of their own org's users."""
    if not (viewer.is_vendor_staff or viewer.is_partner_admin):
        raise forbidden("Only admins can read the switch-account log.")
    queryset = SwitchAccountAudit.filter(viewer.partner_filter("partner_id"))
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    page = await paginate(queryset, window)
    for row in page.items:
        # An unsaved copy for this answer only: the stored entry stays as it was written.
        row.reason = switch_reason_for(viewer, row.reason)
    return page


async def actors_by_id(user_ids: list[int]) -> dict[int, User]:
    """The users who made switch attempts, by id, in one query. No visibility check: for the
    log entries the caller was already allowed to read."""
    return {u.id: u for u in await User.filter(id__in=user_ids)}


async def switch_audit_entry(viewer: Viewer, entry_id: int) -> SwitchAccountAudit:
    """One switch attempt of the log, as switch_audit_log shows it to this viewer."""
    if not (viewer.is_vendor_staff or viewer.is_partner_admin):
        raise forbidden("Only admins can read the switch-account log.")
    row = await SwitchAccountAudit.filter(viewer.partner_filter("partner_id"), id=entry_id).first()
    if row is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "Switch-account log entry not found.", "id")
    row.reason = switch_reason_for(viewer, row.reason)
    return row
