"""A partner org's lead management settings (SPEC §5): auto-registration on/off (off by
default) and whose rules apply (`SUPPLIER_MANAGED`: the rules the vendor wrote for this partner,
`PARTNER_DEFINED`: the partner admin's own), auto-accept of distributed leads, the default
lead-notification recipients, and the history of every such change (`LeadSettingsChange`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from models.enums import Role
from models.lead_management import (
    AutoRegistrationMode,
    LeadManagementSettings,
    LeadSettingsChange,
)
from models.partners import PartnerOrg
from models.users import SalesRep, User
from services.leads.access import (
    require_settings_editor,
    require_settings_reader,
)
from services.platform.errors import ValidationFailed, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer


async def settings_for(partner_id: int) -> LeadManagementSettings:
    """The partner's settings; an unsaved default row (everything off) if it has none yet."""
    row = await LeadManagementSettings.get_or_none(partner_id=partner_id)
    return row or LeadManagementSettings(partner_id=partner_id)


async def get_settings(viewer: Viewer, partner_id: int | None) -> LeadManagementSettings:
    partner_id = require_settings_reader(viewer, partner_id)
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    return await settings_for(partner_id)


async def record_settings_change(
    partner_id: int, viewer: Viewer, kind: str, **details: Any
) -> None:
    """One entry of the partner's lead settings history: who changed what."""
    await LeadSettingsChange.create(
        partner_id=partner_id, actor_id=viewer.user_id, kind=kind, details=details
    )


async def _save_settings(
    viewer: Viewer, partner_id: int, kind: str, **values: Any
) -> LeadManagementSettings:
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    async with in_transaction():
        row = await LeadManagementSettings.get_or_none(partner_id=partner_id)
        if row is None:
            row = await LeadManagementSettings.create(
                partner_id=partner_id, updated_by_id=viewer.user_id, **values
            )
        else:
            await LeadManagementSettings.filter(id=row.id).update(
                updated_by_id=viewer.user_id, updated_at=datetime.now(UTC), **values
            )
        await record_settings_change(
            partner_id,
            viewer,
            kind,
            **{k: v.value if hasattr(v, "value") else v for k, v in values.items()},
        )
    await row.refresh_from_db()
    return row


async def set_auto_registration(
    viewer: Viewer, partner_id: int | None, enabled: bool, mode: AutoRegistrationMode | None
) -> LeadManagementSettings:
    partner_id = await require_settings_editor(viewer, partner_id)
    values: dict[str, Any] = {"auto_registration_enabled": enabled}
    if mode is not None:
        values["mode"] = mode
    return await _save_settings(viewer, partner_id, "auto_registration", **values)


async def set_auto_accept(
    viewer: Viewer, partner_id: int | None, enabled: bool
) -> LeadManagementSettings:
    partner_id = await require_settings_editor(viewer, partner_id)
    return await _save_settings(viewer, partner_id, "auto_accept", auto_accept=enabled)


async def settings_history(
    viewer: Viewer, partner_id: int | None, window: PageWindow
) -> Page[LeadSettingsChange]:
    """The partner's settings changes, newest first."""
    partner_id = require_settings_reader(viewer, partner_id)
    return await paginate(
        LeadSettingsChange.filter(partner_id=partner_id), window, newest_first=True
    )


# ---- default lead-notification recipients ----------------------------------------------------


@dataclass
class NotificationRecipients:
    partner_id: int
    users: list[User]
    sales_reps: list[SalesRep]
    supplier_default_user: User | None
    all_users: list[User]
    all_sales_reps: list[SalesRep]


async def get_notification_recipients(
    viewer: Viewer, partner_id: int | None
) -> NotificationRecipients:
    partner_id = require_settings_reader(viewer, partner_id)
    users = await User.filter(partner_id=partner_id).order_by("id")
    reps = await SalesRep.filter(partner_id=partner_id).order_by("id")
    return NotificationRecipients(
        partner_id=partner_id,
        users=[u for u in users if u.is_default_lead_recipient],
        sales_reps=[r for r in reps if r.is_default_lead_recipient],
        supplier_default_user=next((u for u in users if u.is_supplier_default_lead_owner), None),
        all_users=users,
        all_sales_reps=reps,
    )


async def set_notification_recipients(
    viewer: Viewer, partner_id: int | None, user_ids: Sequence[int], sales_rep_ids: Sequence[int]
) -> NotificationRecipients:
    """Choose exactly which partner users and sales reps get lead notification emails."""
    partner_id = await require_settings_editor(viewer, partner_id)
    wanted_users = set(user_ids)
    wanted_reps = set(sales_rep_ids)
    known_users = set(
        await User.filter(partner_id=partner_id, id__in=sorted(wanted_users)).values_list(
            "id", flat=True
        )
    )
    known_reps = set(
        await SalesRep.filter(partner_id=partner_id, id__in=sorted(wanted_reps)).values_list(
            "id", flat=True
        )
    )
    problems = []
    if wanted_users - known_users:
        problems.append(("userIds", "Some of these users are not in the partner organisation."))
    if wanted_reps - known_reps:
        problems.append(("salesRepIds", "Some of these sales reps are not the partner's."))
    if problems:
        raise ValidationFailed(problems)
    async with in_transaction():
        await (
            User.filter(partner_id=partner_id)
            .exclude(id__in=sorted(wanted_users))
            .update(is_default_lead_recipient=False)
        )
        if wanted_users:
            await User.filter(partner_id=partner_id, id__in=sorted(wanted_users)).update(
                is_default_lead_recipient=True
            )
        await (
            SalesRep.filter(partner_id=partner_id)
            .exclude(id__in=sorted(wanted_reps))
            .update(is_default_lead_recipient=False)
        )
        if wanted_reps:
            await SalesRep.filter(partner_id=partner_id, id__in=sorted(wanted_reps)).update(
                is_default_lead_recipient=True
            )
        await record_settings_change(
            partner_id,
            viewer,
            "notification_recipients",
            user_ids=sorted(wanted_users),
            sales_rep_ids=sorted(wanted_reps),
        )
    return await get_notification_recipients(viewer, partner_id)


async def set_supplier_default_user(
    viewer: Viewer, partner_id: int, user_id: int | None
) -> NotificationRecipients:
    """The vendor nominates (or clears) the partner user who always gets lead notifications."""
    partner_id = await require_settings_editor(viewer, partner_id)  # NOT_FOUND for no partner
    viewer.require_vendor_admin()
    if user_id is not None and not await User.exists(
        id=user_id, partner_id=partner_id, role__in=[Role.PARTNER_ADMIN, Role.PARTNER_USER]
    ):
        raise ValidationFailed([("userId", "This user is not in the partner organisation.")])
    async with in_transaction():
        await User.filter(partner_id=partner_id).update(is_supplier_default_lead_owner=False)
        if user_id is not None:
            await User.filter(id=user_id).update(is_supplier_default_lead_owner=True)
        await record_settings_change(partner_id, viewer, "supplier_default_user", user_id=user_id)
    return await get_notification_recipients(viewer, partner_id)
