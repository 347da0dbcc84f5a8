"""DataLoaders for nested connections: a page of a child list per parent, batched (no N+1).

`PagedLoader.load(parent_pk, window)` gathers every parent asked for in the same tick and asks
the service for all their pages at once, one call per distinct window (the same field arguments
give one window). Each page's `totalCount` goes through a second loader that counts the lists of
all parents in one call, and only when a client asks for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
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
        return self._counted(parent, await self._pages.load((parent, window)))

    async def load_many(self, parents: Sequence[int], window: PageWindow) -> list[Page[ItemT]]:
        """`load` for many parents at once: the same batches, one future per parent."""
        pages = await self._pages.load_many([(parent, window) for parent in parents])
        return [self._counted(parent, page) for parent, page in zip(parents, pages, strict=True)]

    def _counted(self, parent: int, page: Page[ItemT]) -> Page[ItemT]:
        """The page with this parent's count (a new Page: the loader caches the one it gave)."""

        async def count() -> int:
            return await self._counts.load(parent)

        return Page(page.items, page.has_next_page, page.has_previous_page, page.cursors, count)

    @property
    def has_viewer(self) -> bool:
        """Whether loading can work at all (no viewer: every load fails)."""
        try:
            self._viewer()
        except PermissionError:
            return False
        return True

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
