"""Portal users and partners' external sales reps: queries and mutations (the types are in
schema/users/types.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.platform.permissions import IsAdmin, IsAuthenticated
from resolvers.users import resolvers as resolve
from schema.partners.types import SalesRep, User
from schema.platform.common import (
    Connection,
    Done,
    PageWindow,
    UpdatedSince,
    fetch,
    mutate,
    parse_id,
    parse_optional_id,
    to_connection,
)
from schema.platform.node import register_node
from schema.users.types import (
    DoneResult,
    InvitedUser,
    InvitedUserResult,
    NewUserInput,
    SalesRepInput,
    SalesRepResult,
    UserChangesInput,
    UserResult,
)
from services.users.sales_reps import SalesRepFields
from services.users.service import UserChanges


@strawberry.type
class UserQuery:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Users you may see.")
    async def users(
        self,
        info: Info,
        partner_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        updated_since: UpdatedSince = None,
        search: str | None = None,
    ) -> Connection[User]:
        page = await fetch(
            lambda: resolve.list_users(
                info,
                parse_optional_id(partner_id, "Partner", "partnerId"),
                PageWindow(first, after, last, before, updated_since),
                search,
            )
        )
        return to_connection(page, User.from_model)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
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
                parse_optional_id(partner_id, "Partner", "partnerId"),
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


# A part of its own: the sales-rep mutations come after the vendor's in the schema.
@strawberry.type
class SalesRepMutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Add an external sales rep (partner admins: to their own org).",
    )
    async def create_sales_rep(
        self, info: Info, input: SalesRepInput, partner_id: strawberry.ID | None = None
    ) -> SalesRepResult:
        async def run() -> SalesRep:
            rep = await resolve.create_sales_rep(
                info,
                parse_optional_id(partner_id, "Partner", "partnerId"),
                SalesRepFields(**vars(input)),
            )
            return SalesRep.from_model(rep)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def update_sales_rep(
        self, info: Info, id: strawberry.ID, input: SalesRepInput
    ) -> SalesRepResult:
        async def run() -> SalesRep:
            rep = await resolve.update_sales_rep(
                info, parse_id(id, "SalesRep"), SalesRepFields(**vars(input))
            )
            return SalesRep.from_model(rep)

        return await mutate(run)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def delete_sales_rep(self, info: Info, id: strawberry.ID) -> DoneResult:
        async def run() -> Done:
            await resolve.delete_sales_rep(info, parse_id(id, "SalesRep"))
            return Done()

        return await mutate(run)


async def _load_user(info: Info, pk: int) -> User:
    return User.from_model(await resolve.get_user(info, pk))


async def _load_sales_rep(info: Info, pk: int) -> SalesRep:
    return SalesRep.from_model(await resolve.get_sales_rep(info, pk))


register_node("User", _load_user, IsAuthenticated)
register_node("SalesRep", _load_sales_rep, IsAuthenticated)
