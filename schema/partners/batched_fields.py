"""Batched forms of a partner's nested lists (schema/platform/batched_fields.py): `groups` and
`users` of every partner of a page in one call each, through the same DataLoaders and with the
same answers as the per-partner resolvers in schema/partners/types.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types import Info

from resolvers.platform.context import loaders_of
from schema.partners.types import Partner, PartnerGroup, User
from schema.platform.batched_fields import BatchedField, batched
from schema.platform.common import Connection, PageWindow, fetch, to_connection
from services.platform.errors import ServiceError
from services.platform.nested_pages import page_of_list


def _window_refused(window: PageWindow) -> bool:
    """Whether paging any list with this window fails (page size, malformed cursors): what
    `page_of_list` and the SQL pages check before anything else."""
    try:
        page_of_list([], window)
    except ServiceError:
        return True
    return False


@batched(Partner, "groups")
class PartnerGroupsBatch(BatchedField):
    def refuses(self, info: Info, **arguments: Any) -> bool:
        return loaders_of(info).viewer is None or _window_refused(PageWindow(**arguments))

    async def load(
        self, sources: Sequence[Partner], info: Info, **arguments: Any
    ) -> list[Connection[PartnerGroup]]:
        window = PageWindow(**arguments)
        lists = await loaders_of(info).groups_of_partner.load_many([p.pk for p in sources])
        return [
            to_connection(page_of_list(groups, window), PartnerGroup.from_model) for groups in lists
        ]


@batched(Partner, "users")
class PartnerUsersBatch(BatchedField):
    def refuses(self, info: Info, **arguments: Any) -> bool:
        loader = loaders_of(info).users_of_partner
        return not loader.has_viewer or _window_refused(PageWindow(**arguments))

    async def load(
        self, sources: Sequence[Partner], info: Info, **arguments: Any
    ) -> list[Connection[User]]:
        window = PageWindow(**arguments)
        loader = loaders_of(info).users_of_partner
        pages = await fetch(lambda: loader.load_many([p.pk for p in sources], window))
        return [to_connection(page, User.from_model) for page in pages]
