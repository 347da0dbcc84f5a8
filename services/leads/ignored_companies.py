"""A partner's ignored companies: leads of these companies are never auto-registered.
Names are compared as the rules compare text (case and spacing ignored).
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models.lead_management import IgnoredCompany
from models.partners import PartnerOrg
from services.leads.access import require_settings_editor, require_settings_reader
from services.leads.lead_settings import record_settings_change
from services.leads.rules import normalise_text
from services.platform.errors import ValidationFailed, not_found
from services.platform.validation import validated_text
from services.platform.viewer import Viewer


def normalise_company(name: str) -> str:
    return normalise_text(name)


async def list_ignored_companies(viewer: Viewer, partner_id: int | None) -> list[IgnoredCompany]:
    partner_id = require_settings_reader(viewer, partner_id)
    return await IgnoredCompany.filter(partner_id=partner_id).order_by("normalised_name")


async def add_ignored_company(
    viewer: Viewer, partner_id: int | None, name: str
) -> list[IgnoredCompany]:
    partner_id = await require_settings_editor(viewer, partner_id)
    display = " ".join(validated_text(name, "name", max_length=200).split())
    if not display:
        raise ValidationFailed([("name", "Name the company.")])
    normalised = normalise_company(display)
    if not await PartnerOrg.exists(id=partner_id):
        raise not_found("Partner")
    async with in_transaction():
        if not await IgnoredCompany.exists(partner_id=partner_id, normalised_name=normalised):
            await IgnoredCompany.create(
                partner_id=partner_id,
                name=display,
                normalised_name=normalised,
                created_by_id=viewer.user_id,
            )
            await record_settings_change(partner_id, viewer, "ignored_company_added", name=display)
    return await IgnoredCompany.filter(partner_id=partner_id).order_by("normalised_name")


async def remove_ignored_company(
    viewer: Viewer, partner_id: int | None, name: str
) -> list[IgnoredCompany]:
    partner_id = await require_settings_editor(viewer, partner_id)
    normalised = normalise_company(name)
    async with in_transaction():
        removed = await IgnoredCompany.filter(
            partner_id=partner_id, normalised_name=normalised
        ).delete()
        if not removed:
            raise ValidationFailed([("name", "This company is not on the ignored list.")])
        await record_settings_change(
            partner_id, viewer, "ignored_company_removed", name=name.strip()
        )
    return await IgnoredCompany.filter(partner_id=partner_id).order_by("normalised_name")


async def is_ignored_company(partner_id: int, company: str) -> bool:
    normalised = normalise_company(company)
    return bool(normalised) and await IgnoredCompany.exists(
        partner_id=partner_id, normalised_name=normalised
    )
