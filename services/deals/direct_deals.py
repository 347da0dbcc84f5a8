"""The vendor's own sales opportunities (direct deals): kept in step with the vendor's CRM by
external id, so that a partner's registration for a company the vendor's sales team is already
working on is flagged as a conflict at submission.

Vendor staff read them; vendor admins (and the CRM sync acting as one) write them. Partners never
see them: not in lists, not by id (a partner's conflict says only that a vendor deal covers the
company). Company names and domains are stored normalised as `services.deals.companies`
compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.deal_registrations import DirectDeal
from services.deals.companies import domain_problem, normalise_company, normalise_domain
from services.platform.errors import ValidationFailed, not_found
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.validation import MAX_SEARCH_LENGTH, clean_text
from services.platform.viewer import Viewer

MAX_EXTERNAL_ID_LENGTH = 200
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class DirectDealInput:
    external_id: str
    company_name: str
    company_domain: str = ""
    owner_name: str = ""
    is_open: bool = True


def _require_staff(viewer: Viewer, field: str = "id") -> None:
    # A partner is told the same as for a missing deal: direct deals do not exist for partners.
    if not viewer.is_vendor_staff:
        raise not_found("Direct deal", field)


async def get_direct_deal(viewer: Viewer, deal_id: int, field: str = "id") -> DirectDeal:
    _require_staff(viewer, field)
    row = await DirectDeal.get_or_none(id=deal_id)
    if row is None:
        raise not_found("Direct deal", field)
    return row


async def list_direct_deals(
    viewer: Viewer, is_open: bool | None, company: str | None, window: PageWindow
) -> Page[DirectDeal]:
    """Direct deals, newest first; `company` finds a normalised name or a domain containing it."""
    _require_staff(viewer)
    query = DirectDeal.all()
    if is_open is not None:
        query = query.filter(is_open=is_open)
    if company is not None:
        problems: list[tuple[str, str]] = []
        text = clean_text(company, "company", problems, max_length=MAX_SEARCH_LENGTH)
        if problems:
            raise ValidationFailed(problems)
        if text:
            query = query.filter(
                Q(normalised_company__contains=normalise_company(text))
                | Q(company_domain__contains=normalise_domain(text) or text.lower())
            )
    return await paginate(query, window, newest_first=True)


def _checked(data: DirectDealInput) -> dict[str, object]:
    problems: list[tuple[str, str]] = []
    external_id = clean_text(
        data.external_id, "externalId", problems, max_length=MAX_EXTERNAL_ID_LENGTH, required=True
    )
    company_name = " ".join(
        clean_text(
            data.company_name, "companyName", problems, max_length=MAX_NAME_LENGTH, required=True
        ).split()
    )
    raw_domain = clean_text(data.company_domain, "companyDomain", problems, max_length=2000)
    domain = normalise_domain(raw_domain)
    problem = domain_problem(domain)
    if problem:
        problems.append(("companyDomain", problem))
    owner_name = clean_text(data.owner_name, "ownerName", problems, max_length=MAX_NAME_LENGTH)
    if problems:
        raise ValidationFailed(problems)
    return {
        "external_id": external_id,
        "company_name": company_name,
        "normalised_company": normalise_company(company_name),
        "company_domain": domain,
        "owner_name": owner_name,
        "is_open": data.is_open,
    }


async def upsert_direct_deal(viewer: Viewer, data: DirectDealInput) -> tuple[DirectDeal, bool]:
    """Create the deal with this external id, or update it: (the deal, whether it was created).
    Vendor admins only; a sync may send the same deal any number of times."""
    viewer.require_vendor_admin()
    values = _checked(data)
    external_id = values.pop("external_id")
    if await DirectDeal.filter(external_id=external_id).update(**values):
        return await DirectDeal.get(external_id=external_id), False
    try:
        return await DirectDeal.create(external_id=external_id, **values), True
    except IntegrityError:  # a concurrent first sync of the same id created it: update it
        await DirectDeal.filter(external_id=external_id).update(**values)
        return await DirectDeal.get(external_id=external_id), False


async def close_direct_deal(viewer: Viewer, deal_id: int) -> DirectDeal:
    """The vendor's sales team is done with it (won or lost there): it no longer conflicts."""
    viewer.require_vendor_admin()
    row = await get_direct_deal(viewer, deal_id)
    if row.is_open:
        await DirectDeal.filter(id=row.id).update(is_open=False)
        await row.refresh_from_db()
    return row
