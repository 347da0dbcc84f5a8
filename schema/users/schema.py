"""Portal users: queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsAdmin, IsAuthenticated
from resolvers.users import resolvers as resolve
from schema.partners.types import Role, User
from schema.platform.common import (
    Connection,
    OperationErrors,
    fetch,
    mutate,
    parse_id,
    to_connection,
)
from services.users.service import NewUser, UserChanges


@strawberry.input
class NewUserInput:
    email: str
    full_name: str = ""
    role: Role = Role.PARTNER_USER
    locale: str = "en"
    password: str | None = strawberry.field(
        default=None, description="Leave empty to let the user choose one via the invitation link."
    )

    def to_new_user(self) -> NewUser:
        return NewUser(
            email=self.email,
            full_name=self.full_name,
            role=self.role,
            password=self.password,
            locale=self.locale,
        )


@strawberry.input
class UserChangesInput:
    full_name: str | None = None
    role: Role | None = None
    locale: str | None = None
    is_active: bool | None = None
    is_sales_rep: bool | None = None
    is_default_lead_recipient: bool | None = None
    is_supplier_default_lead_owner: bool | None = None


@strawberry.type(description="A new user, and the link they use to set their password.")
class InvitedUser:
    user: User
    invitation_url: str


InvitedUserResult = Annotated[InvitedUser | OperationErrors, strawberry.union("InvitedUserResult")]
UserResult = Annotated[User | OperationErrors, strawberry.union("UserResult")]


@strawberry.type
class UserQuery:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Users you may see.")
    async def users(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[User]:
        page = await fetch(
            lambda: resolve.list_users(
                info,
                None if partner_id is None else parse_id(partner_id, "Partner"),
                first,
                after,
                search,
            )
        )
        return to_connection(page, User.from_model)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def user(self, info: Info, id: strawberry.ID) -> User:
        return User.from_model(await fetch(lambda: resolve.get_user(info, parse_id(id, "User"))))


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Invite a user to a partner org (partner admins: their own org), or add "
        "vendor staff (vendor admins, no partnerId).",
    )
    async def create_user(
        self, info: Info, input: NewUserInput, partner_id: strawberry.ID | None = None
    ) -> InvitedUserResult:
        async def run() -> InvitedUser:
            user, url = await resolve.create_user(
                info,
                None if partner_id is None else parse_id(partner_id, "Partner", "partnerId"),
                input.to_new_user(),
            )
            return InvitedUser(user=User.from_model(user), invitation_url=url)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_user(
        self, info: Info, id: strawberry.ID, input: UserChangesInput
    ) -> UserResult:
        async def run() -> User:
            changes = UserChanges(**vars(input))
            return User.from_model(await resolve.update_user(info, parse_id(id, "User"), changes))

        return await mutate(run)
