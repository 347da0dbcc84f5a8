"""Portal users and partners' external sales reps."""

from __future__ import annotations

from strawberry.types import Info

from models.users import SalesRep, User
from resolvers.platform.permissions import viewer_of
from services.platform.pagination import Page, PageWindow
from services.users import sales_reps
from services.users import service as users
from services.users.sales_reps import SalesRepFields
from services.users.service import NewUser, UserChanges


async def list_users(
    info: Info, partner_id: int | None, window: PageWindow, search: str | None
) -> Page[User]:
    return await users.list_users(viewer_of(info), partner_id, window, search)


async def get_user(info: Info, user_id: int) -> User:
    return await users.get_user(viewer_of(info), user_id)


async def create_user(info: Info, partner_id: int | None, new_user: NewUser) -> tuple[User, str]:
    """Create the user and return it with the link it uses to set a password."""
    user = await users.create_user(viewer_of(info), partner_id, new_user)
    return user, users.invitation_url(info.context.settings, user)


async def update_user(info: Info, user_id: int, changes: UserChanges) -> User:
    return await users.update_user(viewer_of(info), user_id, changes)


async def get_sales_rep(info: Info, sales_rep_id: int) -> SalesRep:
    return await sales_reps.get_sales_rep(viewer_of(info), sales_rep_id)


async def create_sales_rep(info: Info, partner_id: int | None, fields: SalesRepFields) -> SalesRep:
    return await sales_reps.create_sales_rep(viewer_of(info), partner_id, fields)


async def update_sales_rep(info: Info, sales_rep_id: int, fields: SalesRepFields) -> SalesRep:
    return await sales_reps.update_sales_rep(viewer_of(info), sales_rep_id, fields)


async def delete_sales_rep(info: Info, sales_rep_id: int) -> None:
    await sales_reps.delete_sales_rep(viewer_of(info), sales_rep_id)
