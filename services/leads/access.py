"""Who may do what in lead management: the partner an operation is about, who reads and who
changes a partner's lead settings and rule sets, and who sees a lead.
"""

from __future__ import annotations

from models.lead_management import RuleSetOwner
from models.leads import Lead
from models.partners import PartnerOrg
from services.platform.errors import ValidationFailed, forbidden, not_found
from services.platform.viewer import Viewer


def resolve_partner_id(viewer: Viewer, partner_id: int | None) -> int:
    """The partner an operation is about: the caller's own org unless vendor staff name one."""
    if partner_id is None:
        if viewer.partner_id is None:
            raise ValidationFailed([("partnerId", "Name the partner.")])
        partner_id = viewer.partner_id
    if not viewer.can_see_partner(partner_id):
        raise not_found("Partner")
    return partner_id


def require_settings_reader(viewer: Viewer, partner_id: int | None) -> int:
    """Lead management settings are for partner admins (their org) and vendor staff."""
    partner_id = resolve_partner_id(viewer, partner_id)
    if not (viewer.is_vendor_staff or viewer.is_partner_admin):
        raise forbidden("Lead management settings need partner-admin permission.")
    return partner_id


async def require_settings_editor(viewer: Viewer, partner_id: int | None) -> int:
    """The partner whose lead settings the viewer changes; NOT_FOUND for no such partner, so
    that an unknown id never reaches a write (where it would fail as a foreign key)."""
    partner_id = resolve_partner_id(viewer, partner_id)
    if not (viewer.is_vendor_admin or viewer.is_partner_admin):
        raise forbidden("Only a partner admin or a vendor admin can change lead settings.")
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner", "partnerId")
    return partner_id


def can_edit_rules(viewer: Viewer, partner_id: int, owner: RuleSetOwner) -> bool:
    if owner is RuleSetOwner.SUPPLIER:
        return viewer.is_vendor_admin
    return viewer.is_partner_admin and viewer.partner_id == partner_id


async def require_rule_editor(viewer: Viewer, partner_id: int | None, owner: RuleSetOwner) -> int:
    partner_id = require_settings_reader(viewer, partner_id)
    if not can_edit_rules(viewer, partner_id, owner):
        if owner is RuleSetOwner.SUPPLIER:
            raise forbidden("Supplier-managed rules are defined by the vendor: read-only for you.")
        raise forbidden("Only the partner's own admins define the partner's rules.")
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner", "partnerId")
    return partner_id


def can_see_lead(viewer: Viewer, lead: Lead) -> bool:
    partner_id = lead.partner_id  # type: ignore[attr-defined]
    if partner_id is None:
        return viewer.is_vendor_admin
    return viewer.can_see_partner(partner_id)
