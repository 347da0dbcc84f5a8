"""One record inside a customer account by id (for node(id)): a contact, an attention item, an
activity entry, an account user or the subscription, or a deal's note or commission, if the
viewer may see the customer it belongs to. A foreign record reads exactly like a missing one."""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model

from models.accounts import AttentionItem, CustomerActivity, CustomerUser, Subscription
from models.customers import Customer, CustomerContact
from models.deals import Commission, DealNote
from services.customers.access import customer_scope
from services.platform.errors import not_found
from services.platform.viewer import Viewer

RecordT = TypeVar("RecordT", bound=Model)

# The records that belong to one customer, by the name their errors use.
CUSTOMER_RECORDS: dict[str, type[Model]] = {
    "Customer contact": CustomerContact,
    "Attention item": AttentionItem,
    "Customer activity": CustomerActivity,
    "Customer account user": CustomerUser,
    "Subscription": Subscription,
    "Commission": Commission,
}


async def visible_record(viewer: Viewer, model: type[RecordT], pk: int, label: str) -> RecordT:
    """The record `pk` of a customer-owned model, if the viewer may see its customer."""
    row = await model.get_or_none(id=pk)
    if row is None or not await Customer.exists(
        await customer_scope(viewer),
        id=row.customer_id,  # type: ignore[attr-defined]
    ):
        raise not_found(label)
    return row


async def visible_deal_note(viewer: Viewer, pk: int) -> DealNote:
    """A note on a deal of a customer the viewer may see."""
    note = await DealNote.get_or_none(id=pk).select_related("author", "deal")
    if note is None or not await Customer.exists(
        await customer_scope(viewer),
        id=note.deal.customer_id,  # type: ignore[attr-defined]
    ):
        raise not_found("Deal note")
    return note
