"""Who may see and act on which deal registrations, and the status a registration has *now*.

Partner users see every registration of their own partner (drafts too); vendor admins see all
submitted ones and channel managers those of their assigned partners (a draft is the partner's
own until it is submitted). Act-as (customer) sessions reach nothing here. Another partner's
registration reads exactly like a missing one: NOT_FOUND, never FORBIDDEN.

Deadlines hold at once: an APPROVED registration whose protection has passed is EXPIRED for every
read and every action, even before the worker wrote EXPIRED (`effective_status`, `status_filter`).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from models.deal_registrations import DealRegistration, DealRegistrationStatus
from services.platform.errors import ErrorCode, ServiceError, forbidden, not_found
from services.platform.viewer import Viewer

Status = DealRegistrationStatus
# States in which nothing more happens to a registration.
FINAL_STATES = frozenset({Status.REJECTED, Status.EXPIRED, Status.WON, Status.LOST})


def protection_over(registration: DealRegistration, now: datetime) -> bool:
    """An approval whose protection has ended (whether or not the worker wrote EXPIRED)."""
    return (
        registration.status is Status.APPROVED
        and registration.protected_until is not None
        and registration.protected_until <= now
    )


def effective_status(registration: DealRegistration, now: datetime) -> DealRegistrationStatus:
    return Status.EXPIRED if protection_over(registration, now) else registration.status


def status_filter(status: DealRegistrationStatus, now: datetime) -> Q:
    """Rows whose status *now* is `status` (a lapsed approval counts as EXPIRED)."""
    if status is Status.APPROVED:
        return Q(status=Status.APPROVED, protected_until__gt=now)
    if status is Status.EXPIRED:
        return Q(status=Status.EXPIRED) | Q(status=Status.APPROVED, protected_until__lte=now)
    return Q(status=status)


def overdue_filter(now: datetime) -> Q:
    return Q(status=Status.SUBMITTED, review_due_at__lt=now)


def registration_scope(viewer: Viewer) -> Q:
    """The registrations this viewer may see (nothing for an act-as session)."""
    if viewer.is_acting_as_customer:
        return Q(id__in=[])
    scope = viewer.partner_filter("partner_id")
    if viewer.is_vendor_staff:
        scope &= ~Q(status=Status.DRAFT)
    return scope


async def visible_registration(
    viewer: Viewer, registration_id: int, field: str = "id"
) -> DealRegistration:
    found = await DealRegistration.filter(registration_scope(viewer), id=registration_id).first()
    if found is None:
        raise not_found("Deal registration", field)
    return found


def require_partner_member(viewer: Viewer, registration: DealRegistration) -> None:
    """Only the registration's own partner's users act for the partner."""
    if not viewer.is_partner_member or viewer.partner_id != registration.partner_id:  # type: ignore[attr-defined]
        raise forbidden("Only the partner's users can do this.")


def require_draft_owner(viewer: Viewer, registration: DealRegistration) -> None:
    """A draft belongs to its submitter and the partner's admins."""
    require_partner_member(viewer, registration)
    if not viewer.is_partner_admin and registration.submitted_by_id != viewer.user_id:  # type: ignore[attr-defined]
        raise forbidden("Only the draft's author or a partner admin can change it.")


def require_reviewer(viewer: Viewer) -> None:
    """Vendor admins, and channel managers (whose scope already keeps their assigned partners)."""
    if not viewer.is_vendor_staff:
        raise forbidden("Only vendor admins and channel managers review registrations.")


def require_state(
    registration: DealRegistration,
    allowed: frozenset[DealRegistrationStatus],
    now: datetime,
    refused: str,
) -> None:
    """INVALID unless the registration is now in one of `allowed`; EXPIRED when its protection
    ended (however the status column reads)."""
    status = effective_status(registration, now)
    if status is Status.EXPIRED and Status.EXPIRED not in allowed:
        raise ServiceError(ErrorCode.EXPIRED, "The registration's protection has ended.", "id")
    if status not in allowed:
        raise ServiceError(ErrorCode.INVALID, refused, "id")
