"""Who is calling: the authenticated user's role and organisation, and what that lets them reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from models.enums import PARTNER_ROLES, Role
from services.platform.errors import forbidden


@dataclass(frozen=True)
class Viewer:
    user_id: int
    email: str
    role: Role
    partner_id: int | None
    session_id: str
    managed_partner_ids: frozenset[int] = frozenset()
    # Set for a switch-account (act-as) session: the one customer account it is scoped to.
    acting_customer_id: int | None = None
    # The session an act-as session was opened from: its end ends this one too.
    parent_session_id: str | None = None
    # When the session (or the one it derives from) expires; None for viewers built in code.
    session_expires_at: datetime | None = None

    @property
    def is_vendor_admin(self) -> bool:
        return self.role is Role.VENDOR_ADMIN

    @property
    def is_vendor_staff(self) -> bool:
        return self.role in (Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER)

    @property
    def is_partner_member(self) -> bool:
        return self.role in PARTNER_ROLES

    @property
    def is_partner_admin(self) -> bool:
        return self.role is Role.PARTNER_ADMIN

    def visible_partner_ids(self) -> frozenset[int] | None:
        """The partner orgs this viewer may see; None means all of them (vendor admin)."""
        if self.is_vendor_admin:
            return None
        if self.role is Role.CHANNEL_MANAGER:
            return self.managed_partner_ids
        return frozenset({self.partner_id}) if self.partner_id is not None else frozenset()

    def can_see_partner(self, partner_id: int | None) -> bool:
        visible = self.visible_partner_ids()
        return visible is None or (partner_id is not None and partner_id in visible)

    @property
    def is_acting_as_customer(self) -> bool:
        return self.acting_customer_id is not None

    def customer_filter(self, field: str = "id") -> Q:
        """A filter that keeps only the act-as customer for such a session, all rows otherwise."""
        if self.acting_customer_id is None:
            return Q()
        return Q(**{field: self.acting_customer_id})

    def partner_filter(self, field: str = "partner_id") -> Q:
        """A query filter that keeps only rows of partner orgs this viewer may see."""
        visible = self.visible_partner_ids()
        if visible is None:
            return Q()
        return Q(**{f"{field}__in": sorted(visible)})

    def can_manage_partner_users(self, partner_id: int) -> bool:
        if self.is_vendor_admin:
            return True
        if self.role is Role.CHANNEL_MANAGER:
            return partner_id in self.managed_partner_ids
        return self.is_partner_admin and self.partner_id == partner_id

    def require_vendor_admin(self) -> None:
        if not self.is_vendor_admin:
            raise forbidden("Only vendor admins can do this.")
