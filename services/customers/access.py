"""Who may see which customers: the viewer's partner orgs' customers, only one customer under an
act-as session, with ended trials closed before anyone looks.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models.customers import Customer
from services.customers.trials import settle_ended_trials
from services.platform.errors import ErrorCode, ServiceError
from services.platform.viewer import Viewer


async def acting_customer_id(viewer: Viewer) -> int | None:
    """The customer an act-as (switch account) session is scoped to, or None."""
    return viewer.acting_customer_id


async def customer_scope(viewer: Viewer, field_prefix: str = "") -> Q:
    """A filter keeping the customers this viewer may see: its partner orgs' customers, and
    only the one customer when the viewer's token is an act-as session. Ended trials among
    them are closed first (`settle_ended_trials`)."""
    await settle_ended_trials(viewer)
    scope = viewer.partner_filter(f"{field_prefix}partner_id")
    acting = await acting_customer_id(viewer)
    if acting is not None:
        scope &= Q(**{f"{field_prefix}id": acting})
    return scope


async def visible_customer(viewer: Viewer, customer_id: int, field: str = "customerId") -> Customer:
    """The customer if the viewer may see it, else the same not-found answer as for none."""
    customer = await Customer.filter(await customer_scope(viewer), id=customer_id).first()
    if customer is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "Customer not found.", field)
    return customer


async def visible_customers(viewer: Viewer, customer_ids: list[int]) -> dict[int, Customer]:
    """Those of these customers the viewer may see, by id, in one query (for DataLoaders of
    links that may point outside the viewer's reach, such as a refused switch attempt)."""
    scope = await customer_scope(viewer)
    return {c.id: c for c in await Customer.filter(scope, id__in=customer_ids)}
