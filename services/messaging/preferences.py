"""A partner user's Supplier Emails preference and their acceptance of the portal terms.

Every change of the preference is written to the consent ledger: set by the user, turned on by
terms that declare it, or turned off by the unsubscribe link of a partner message (a listener of
services/email/suppression.py, registered when this module is imported).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from models.consent import ConsentAction, ConsentPurpose, ConsentSource
from models.messaging import PortalTermsAcceptance
from models.users import User
from models.vendor import VendorSettings
from services.consent.ledger import Caller, record_consent
from services.email.suppression import Unsubscribed, unsubscribe_listeners
from services.messaging.centre import require_partner_member
from services.messaging.delivery import EMAIL_SOURCE
from services.messaging.status import utc_now
from services.platform.errors import ErrorCode, ServiceError, not_found
from services.platform.viewer import Viewer


@dataclass(frozen=True)
class NotificationPreferences:
    """A user's notification settings."""

    user_id: int
    supplier_emails: bool

    @classmethod
    def of(cls, user: User) -> NotificationPreferences:
        return cls(user_id=user.id, supplier_emails=user.supplier_emails_opt_in)


async def own_preferences(viewer: Viewer) -> NotificationPreferences:
    """The viewer's own notification settings."""
    return NotificationPreferences.of(await User.get(id=viewer.user_id))


async def preferences_of(viewer: Viewer, user_id: int) -> NotificationPreferences:
    """A user's notification settings, for that user only (anyone else's read as missing)."""
    if user_id != viewer.user_id:
        raise not_found("Notification preferences")
    return await own_preferences(viewer)


async def _set_supplier_emails(
    user: User,
    on: bool,
    source: ConsentSource,
    origin: Caller,
    terms_version: str = "",
) -> None:
    await User.filter(id=user.id).update(supplier_emails_opt_in=on, updated_at=utc_now())
    await record_consent(
        email=user.email,
        purpose=ConsentPurpose.SUPPLIER_EMAILS,
        action=ConsentAction.OPT_IN if on else ConsentAction.OPT_OUT,
        source=source,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        actor_user_id=user.id,
        client_address=origin.client_address,
        user_agent=origin.user_agent,
        consent_text_version=terms_version,
    )


async def set_notification_preferences(
    viewer: Viewer, supplier_emails: bool, origin: Caller
) -> NotificationPreferences:
    """Turn the viewer's own Supplier Emails on or off; a change is written to the ledger."""
    require_partner_member(viewer)
    async with in_transaction():
        user = await User.get(id=viewer.user_id)
        if user.supplier_emails_opt_in != supplier_emails:
            await _set_supplier_emails(user, supplier_emails, ConsentSource.SELF_SERVICE, origin)
    return await own_preferences(viewer)


async def accept_portal_terms(
    viewer: Viewer, version: str, origin: Caller
) -> NotificationPreferences:
    """Accept the current portal terms; terms that declare opt-in turn Supplier Emails on."""
    require_partner_member(viewer)
    vendor = await VendorSettings.first()
    current = vendor.portal_terms_version if vendor else ""
    if not current:
        raise ServiceError(ErrorCode.INVALID, "There are no portal terms to accept.", "version")
    if version != current:
        raise ServiceError(
            ErrorCode.INVALID, f"The current portal terms are version {current}.", "version"
        )
    opt_in = bool(vendor and vendor.portal_terms_opt_in_supplier_emails)
    async with in_transaction():
        user = await User.get(id=viewer.user_id)
        if await PortalTermsAcceptance.filter(user_id=user.id, terms_version=version).exists():
            return NotificationPreferences.of(user)
        await PortalTermsAcceptance.create(
            user_id=user.id, terms_version=version, opted_in_supplier_emails=opt_in
        )
        if opt_in and not user.supplier_emails_opt_in:
            await _set_supplier_emails(
                user, True, ConsentSource.TERMS_ACCEPTANCE, origin, terms_version=version
            )
    return await own_preferences(viewer)


async def _record_unsubscribe_from_partner_message(event: Unsubscribed) -> None:
    """The unsubscribe link of a partner message turns Supplier Emails off (the outbox does
    that): record it in the consent ledger like any other change of the preference."""
    email = event.email
    user_id: int | None = email.user_id  # type: ignore[attr-defined]
    if email.source != EMAIL_SOURCE or user_id is None:
        return
    user = await User.get_or_none(id=user_id)
    if user is None:
        return
    await record_consent(
        email=user.email,
        purpose=ConsentPurpose.SUPPLIER_EMAILS,
        action=ConsentAction.OPT_OUT,
        source=ConsentSource.SELF_SERVICE,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        actor_user_id=user.id,
        client_address=event.client_address,
        user_agent=event.user_agent,
        details={"via": "unsubscribe link", "reference": email.reference or ""},
    )


if _record_unsubscribe_from_partner_message not in unsubscribe_listeners:
    unsubscribe_listeners.append(_record_unsubscribe_from_partner_message)
