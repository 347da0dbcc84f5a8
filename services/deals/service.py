"""Deals partners register for their customers, their notes for the vendor team, and what a
list of deals is shown with (customers, notes, commissions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from tortoise.transactions import in_transaction

from models.deals import Commission, Deal, DealNote, DealStatus
from models.enums import CustomerStatus
from models.webhooks import WebhookEventType
from services.customers.access import customer_scope, visible_customer
from services.customers.attention import refresh_attention_items
from services.customers.common import clean_input, utcnow
from services.platform.errors import ErrorCode, ServiceError, ValidationFailed, not_found
from services.platform.nested_pages import counts_per_parent, pages_per_parent
from services.platform.pagination import Page, PageWindow, paginate
from services.platform.viewer import Viewer
from services.webhooks.events import emit, emit_fetched

MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")


def check_amount(value: Decimal, field: str, problems: list[tuple[str, str]]) -> Decimal:
    try:
        amount = Decimal(value).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        problems.append((field, "This is not an amount."))
        return Decimal(0)
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        problems.append((field, "The amount must be more than 0."))
    return amount


def check_currency(value: str, problems: list[tuple[str, str]]) -> str:
    currency = value.strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        problems.append(("currency", "Use a three-letter currency code such as EUR."))
    return currency


@dataclass
class DealChanges:
    product: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_on: date | None = None


async def visible_deal(viewer: Viewer, deal_id: int) -> Deal:
    deal = await Deal.filter(await customer_scope(viewer, "customer__"), id=deal_id).first()
    if deal is None:
        raise not_found("Deal")
    return deal


async def register_deal(
    viewer: Viewer,
    customer_id: int,
    product: str,
    amount: Decimal,
    currency: str = "EUR",
    expected_close_on: date | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Deal:
    """A partner registers a deal for one of its customers (with an optional first note)."""
    now = now or utcnow()
    customer = await visible_customer(viewer, customer_id)
    problems: list[tuple[str, str]] = []
    product_text = clean_input(product, "product", problems, max_length=200, required=True)
    checked_amount = check_amount(amount, "amount", problems)
    checked_currency = check_currency(currency, problems)
    note_text = clean_input(note, "note", problems, max_length=5000, multiline=True)
    if problems:
        raise ValidationFailed(problems)
    if customer.status is CustomerStatus.CLOSED:
        raise ServiceError(
            ErrorCode.INVALID,
            "The customer's trial has ended: the account is closed.",
            "customerId",
        )
    async with in_transaction():
        deal = await Deal.create(
            partner_id=customer.partner_id,  # type: ignore[attr-defined]
            customer_id=customer.id,
            created_by_id=viewer.user_id,
            product=product_text,
            amount=checked_amount,
            currency=checked_currency,
            expected_close_on=expected_close_on,
            status=DealStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
        await emit(WebhookEventType.DEAL_REGISTERED, deal)
        if note_text:
            await DealNote.create(
                deal_id=deal.id, author_id=viewer.user_id, body=note_text, created_at=now
            )
    await refresh_attention_items(now, [customer.id])
    return deal


async def update_deal(
    viewer: Viewer, deal_id: int, changes: DealChanges, now: datetime | None = None
) -> Deal:
    now = now or utcnow()
    deal = await visible_deal(viewer, deal_id)
    problems: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    if changes.product is not None:
        values["product"] = clean_input(
            changes.product, "product", problems, max_length=200, required=True
        )
    if changes.amount is not None:
        values["amount"] = check_amount(changes.amount, "amount", problems)
    if changes.currency is not None:
        values["currency"] = check_currency(changes.currency, problems)
    if changes.expected_close_on is not None:
        values["expected_close_on"] = changes.expected_close_on
    if problems:
        raise ValidationFailed(problems)
    if not values:
        return deal
    async with in_transaction():
        changed = await Deal.filter(id=deal.id, status=DealStatus.OPEN).update(
            **values, updated_at=now
        )
        if not changed:
            raise ServiceError(ErrorCode.INVALID, "Only an open deal can be changed.", "id")
        await emit_fetched(WebhookEventType.DEAL_UPDATED, Deal, [deal.id])
    await refresh_attention_items(now, [deal.customer_id])  # type: ignore[attr-defined]
    return await Deal.get(id=deal.id)


async def mark_deal_lost(
    viewer: Viewer, deal_id: int, reason: str, now: datetime | None = None
) -> Deal:
    now = now or utcnow()
    deal = await visible_deal(viewer, deal_id)
    problems: list[tuple[str, str]] = []
    reason_text = clean_input(reason, "reason", problems, max_length=500, required=True)
    if problems:
        raise ValidationFailed(problems)
    async with in_transaction():
        changed = await Deal.filter(id=deal.id, status=DealStatus.OPEN).update(
            status=DealStatus.LOST, lost_reason=reason_text, closed_at=now, updated_at=now
        )
        if not changed:
            raise ServiceError(ErrorCode.INVALID, "Only an open deal can be marked lost.", "id")
        await emit_fetched(WebhookEventType.DEAL_LOST, Deal, [deal.id])
    await refresh_attention_items(now, [deal.customer_id])  # type: ignore[attr-defined]
    return await Deal.get(id=deal.id)


async def add_deal_note(
    viewer: Viewer, deal_id: int, body: str, now: datetime | None = None
) -> DealNote:
    """A note on a deal for the vendor team (vendor staff may answer in the same thread)."""
    deal = await visible_deal(viewer, deal_id)
    problems: list[tuple[str, str]] = []
    text = clean_input(body, "body", problems, max_length=5000, required=True, multiline=True)
    if problems:
        raise ValidationFailed(problems)
    return await DealNote.create(
        deal_id=deal.id, author_id=viewer.user_id, body=text, created_at=now or utcnow()
    )


async def list_deals(
    viewer: Viewer,
    partner_id: int | None = None,
    customer_id: int | None = None,
    status: DealStatus | None = None,
    window: PageWindow = PageWindow(),
) -> Page[Deal]:
    queryset = Deal.filter(await customer_scope(viewer, "customer__")).select_related("customer")
    if partner_id is not None:
        queryset = queryset.filter(partner_id=partner_id)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return await paginate(queryset, window)


async def notes_of_deals(deal_ids: list[int]) -> dict[int, list[DealNote]]:
    result: dict[int, list[DealNote]] = defaultdict(list)
    notes = DealNote.filter(deal_id__in=deal_ids).select_related("author")
    for note in await notes.order_by("created_at", "id"):
        result[note.deal_id].append(note)  # type: ignore[attr-defined]
    return result


async def note_pages_of_deals(
    viewer: Viewer, deal_ids: list[int], window: PageWindow
) -> dict[int, Page[DealNote]]:
    """A page of the notes of each deal, oldest first, in two statements whatever the number of
    deals (the page of every deal, then its notes with their authors). The deals are ones the
    viewer was already allowed to see (`Deal.notes` of a deal it read)."""
    pages = await pages_per_parent(DealNote.all(), "deal_id", deal_ids, window)
    note_ids = [note.id for page in pages.values() for note in page.items]
    if not note_ids:
        return pages
    with_authors = {
        note.id: note for note in await DealNote.filter(id__in=note_ids).select_related("author")
    }
    return {
        deal_id: replace(page, items=[with_authors[note.id] for note in page.items])
        for deal_id, page in pages.items()
    }


async def note_counts_of_deals(viewer: Viewer, deal_ids: list[int]) -> dict[int, int]:
    """How many notes each deal (the viewer was allowed to see) has, in one statement."""
    counts = await counts_per_parent(DealNote.all(), "deal_id", deal_ids)
    return {deal_id: counts.get(deal_id, 0) for deal_id in deal_ids}


async def commissions_of_deals(deal_ids: list[int]) -> dict[int, Commission]:
    return {
        c.deal_id: c  # type: ignore[attr-defined]
        for c in await Commission.filter(deal_id__in=deal_ids)
    }


async def deals_by_id(deal_ids: list[int]) -> dict[int, Deal]:
    return {d.id: d for d in await Deal.filter(id__in=deal_ids)}
