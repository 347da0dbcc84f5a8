"""DataLoaders for nested connections: a page of a child list per parent, batched (no N+1).

`PagedLoader.load(parent_pk, window)` gathers every parent asked for in the same tick and asks
the service for all their pages at once, one call per distinct window (the same field arguments
give one window). Each page's `totalCount` goes through a second loader that counts the lists of
all parents in one call, and only when a client asks for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Generic, TypeVar

from strawberry.dataloader import DataLoader

from services.platform.pagination import Page, PageWindow
from services.platform.viewer import Viewer

ItemT = TypeVar("ItemT")

FetchPages = Callable[[Viewer, list[int], PageWindow], Awaitable[dict[int, Page[ItemT]]]]
FetchCounts = Callable[[Viewer, list[int]], Awaitable[dict[int, int]]]


class PagedLoader(Generic[ItemT]):
    """Pages of one kind of child list (e.g. a partner's users), bound to one viewer."""

    def __init__(
        self,
        viewer: Callable[[], Viewer],
        fetch_pages: FetchPages[ItemT],
        fetch_counts: FetchCounts,
    ) -> None:
        self._viewer = viewer
        self._fetch_pages = fetch_pages
        self._fetch_counts = fetch_counts
        self._pages = DataLoader[tuple[int, PageWindow], Page[ItemT]](self._load_pages)
        self._counts = DataLoader[int, int](self._load_counts)

    async def load(self, parent: int, window: PageWindow) -> Page[ItemT]:
        page = await self._pages.load((parent, window))

        async def count() -> int:
            return await self._counts.load(parent)

        return replace(page, count=count)

    async def _load_pages(self, keys: Sequence[tuple[int, PageWindow]]) -> list[Page[ItemT]]:
        parents_by_window: dict[PageWindow, list[int]] = defaultdict(list)
        for parent, window in keys:
            parents_by_window[window].append(parent)
        found: dict[tuple[int, PageWindow], Page[ItemT]] = {}
        for window, parents in parents_by_window.items():
            pages = await self._fetch_pages(self._viewer(), parents, window)
            for parent in parents:
                found[(parent, window)] = pages[parent]
        return [found[key] for key in keys]

    async def _load_counts(self, parents: Sequence[int]) -> list[int]:
        counts = await self._fetch_counts(self._viewer(), list(parents))
        return [counts[parent] for parent in parents]
