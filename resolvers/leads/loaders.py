"""DataLoaders of the leads domain, kept on the operation's loaders object (a fresh one per
operation): the actors, leads, hand-outs and sales reps named in history entries, each lead's
history and its current distribution, so that a page of leads reads them in one query per kind
(no N+1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from models.lead_management import LeadDistribution
from models.leads import Lead, LeadEvent
from resolvers.platform.permissions import viewer_of
from services.leads import distribution as lead_distribution
from services.leads import service as lead_management
from services.leads.listing import actors_by_ids, leads_by_ids
from services.users.sales_reps import sales_reps_by_ids

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")


def _loader(
    info: Info,
    name: str,
    load: Callable[[list[KeyT]], Awaitable[list[ValueT]]],
    key: Callable[[KeyT], Hashable] | None = None,
) -> DataLoader[KeyT, ValueT]:
    loaders = info.context.loaders
    existing = getattr(loaders, name, None)
    if existing is None:
        existing = DataLoader(load, cache_key_fn=key)
        setattr(loaders, name, existing)
    return existing


def _lead_key(lead: Lead) -> Hashable:
    return lead.id


async def actor(info: Info, user_id: int | None) -> Any:
    """The user behind a history entry, if the viewer may see that user; else None."""
    if user_id is None:
        return None
    viewer = viewer_of(info)

    async def load(ids: list[int]) -> list[Any]:
        found = await actors_by_ids(viewer, ids)
        return [found.get(i) for i in ids]

    return await _loader(info, "lead_actor", load).load(user_id)


async def history_of(info: Info, lead: Lead) -> list[LeadEvent]:
    """The lead's history as the viewer may see it (one query for all leads of the operation)."""
    viewer = viewer_of(info)

    async def load(leads: list[Lead]) -> list[list[LeadEvent]]:
        found = await lead_management.lead_histories(viewer, leads)
        return [found[item.id] for item in leads]

    return await _loader(info, "lead_history", load, _lead_key).load(lead)


async def distribution_of(info: Info, lead: Lead) -> LeadDistribution | None:
    """The lead's latest distribution (one query for all leads of the operation)."""

    async def load(leads: list[Lead]) -> list[LeadDistribution | None]:
        found = await lead_distribution.current_distributions(leads)
        return [found.get(item.id) for item in leads]

    return await _loader(info, "lead_distribution", load, _lead_key).load(lead)


async def lead(info: Info, lead_pk: int | None) -> Lead | None:
    """A lead the viewer may see, by pk; None otherwise (one query per operation level)."""
    if lead_pk is None:
        return None
    viewer = viewer_of(info)

    async def load(ids: list[int]) -> list[Lead | None]:
        found = await leads_by_ids(viewer, ids)
        return [found.get(i) for i in ids]

    return await _loader(info, "lead_by_pk", load).load(lead_pk)


async def distribution(info: Info, distribution_pk: int | None) -> LeadDistribution | None:
    """A hand-out the viewer may see, by pk; None otherwise (one query per operation level)."""
    if distribution_pk is None:
        return None
    viewer = viewer_of(info)

    async def load(ids: list[int]) -> list[LeadDistribution | None]:
        found = await lead_distribution.distributions_by_ids(viewer, ids)
        return [found.get(i) for i in ids]

    return await _loader(info, "distribution_by_pk", load).load(distribution_pk)


async def sales_rep(info: Info, sales_rep_pk: int) -> Any:
    """A sales rep of a partner the viewer may see, by pk; None otherwise (batched)."""
    viewer = viewer_of(info)

    async def load(ids: list[int]) -> list[Any]:
        found = await sales_reps_by_ids(viewer, ids)
        return [found.get(i) for i in ids]

    return await _loader(info, "sales_rep_by_pk", load).load(sales_rep_pk)
