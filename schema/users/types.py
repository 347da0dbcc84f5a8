"""Portal users and partners' external sales reps: GraphQL inputs, types and result unions.
The User and SalesRep object types sit with the partner types (schema/partners/types.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.partners.types import Role, SalesRep, User
from schema.platform.common import Done, OperationErrors
from services.users.service import NewUser


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


@strawberry.input
class SalesRepInput:
    full_name: str | None = None
    email: str | None = None
    is_default_lead_recipient: bool | None = None


SalesRepResult = Annotated[SalesRep | OperationErrors, strawberry.union("SalesRepResult")]
DoneResult = Annotated[Done | OperationErrors, strawberry.union("DoneResult")]
