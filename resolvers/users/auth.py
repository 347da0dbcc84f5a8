"""Login, logout, invitations and the current user."""

from __future__ import annotations

from strawberry.types import Info

from models.users import User
from resolvers.platform.permissions import viewer_of
from services.users import auth
from services.users import service as users


async def login(info: Info, email: str, password: str) -> tuple[str, User]:
    """Log in; the payload (its `user` and everything under it) is then read as that user."""
    settings = info.context.settings
    token, user = await auth.login(settings, email, password, info.context.client_address)
    viewer = await auth.authenticate(settings, token)
    if viewer is not None:
        info.context.read_result_as(info, viewer)
    return token, user


async def logout(info: Info) -> None:
    await auth.logout(viewer_of(info))


async def accept_invitation(info: Info, token: str, password: str) -> User:
    return await users.accept_invitation(info.context.settings, token, password)


async def me(info: Info) -> User:
    viewer = viewer_of(info)
    return await users.get_user(viewer, viewer.user_id)
