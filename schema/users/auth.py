"""Login, logout, invitations and `me`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsAuthenticatedOrActingAs
from resolvers.users import auth as resolve
from schema.partners.types import User
from schema.platform.common import Done, OperationErrors, fetch, mutate


@strawberry.type(description="A bearer token: send it as `Authorization: Bearer <token>`.")
class LoginSuccess:
    token: str
    expires_in_seconds: int
    user: User


LoginResult = Annotated[LoginSuccess | OperationErrors, strawberry.union("LoginResult")]
UserResult = Annotated[User | OperationErrors, strawberry.union("UserResult")]
DoneResult = Annotated[Done | OperationErrors, strawberry.union("DoneResult")]


@strawberry.type
class AuthQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticatedOrActingAs], description="The logged-in user."
    )
    async def me(self, info: Info) -> User:
        return User.from_model(await fetch(lambda: resolve.me(info)))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Log in with email and password; returns a bearer token.")
    async def login(self, info: Info, email: str, password: str) -> LoginResult:
        async def run() -> LoginSuccess:
            token, user = await resolve.login(info, email, password)
            return LoginSuccess(
                token=token,
                expires_in_seconds=info.context.settings.token_lifetime_seconds,
                user=User.from_model(user),
            )

        return await mutate(run)

    @strawberry.mutation(
        permission_classes=[IsAuthenticatedOrActingAs], description="End this token's session."
    )
    async def logout(self, info: Info) -> DoneResult:
        async def run() -> Done:
            await resolve.logout(info)
            return Done()

        return await mutate(run)

    @strawberry.mutation(
        description="Set the password of an invited user, from the invitation link."
    )
    async def accept_invitation(self, info: Info, token: str, password: str) -> UserResult:
        async def run() -> User:
            return User.from_model(await resolve.accept_invitation(info, token, password))

        return await mutate(run)
