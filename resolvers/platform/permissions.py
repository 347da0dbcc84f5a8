"""Permission classes declared on fields and mutations, by role (SPEC §1).

Organisation scoping is enforced again by the services, which filter every query by the viewer.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from models.enums import Role
from services.platform.viewer import Viewer
from services.users.auth import TOKEN_FAULT_MESSAGES, TokenFault


class PublicError(GraphQLError):
    """An error whose message is meant for the caller; it is never masked."""


class IsAuthenticated(BasePermission):
    message = "You need to log in."
    error_extensions = {"code": "UNAUTHENTICATED"}
    error_class = PublicError
    roles: frozenset[Role] | None = None
    # A switch-account (act-as) token is scoped to one customer account: it reaches only the
    # fields of that account's domain, which declare so with IsAuthenticatedOrActingAs.
    allows_acting_session = False
    # The answer depends only on the viewer of the field's root field and the request's token
    # fault, never on the object or the field's arguments: execution plans ask once per list
    # field instead of once per object (schema/platform/direct_resolvers.py). Keep it so, or
    # drop this where `has_permission` is overridden to read the object.
    same_answer_for_every_object = True

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer: Viewer | None = info.context.viewer_at(info.path)
        if viewer is None:
            raise_token_fault(info)
            return False
        if viewer.is_acting_as_customer and not self.allows_acting_session:
            raise PublicError(
                "This session is scoped to one customer account.",
                extensions={"code": "FORBIDDEN"},
            )
        if self.roles is not None and viewer.role not in self.roles:
            raise PublicError("You are not allowed to do this.", extensions={"code": "FORBIDDEN"})
        return True


class IsAuthenticatedOrActingAs(IsAuthenticated):
    """Logged in, also with an act-as token (whose services then see its one customer only)."""

    allows_acting_session = True


class IsVendorStaff(IsAuthenticated):
    roles = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER})


class IsVendorAdmin(IsAuthenticated):
    roles = frozenset({Role.VENDOR_ADMIN})


class IsAdmin(IsAuthenticated):
    """Vendor admins, channel managers (for their partners) and partner admins (for their org)."""

    roles = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.PARTNER_ADMIN})


def raise_token_fault(info: Info) -> None:
    """A request whose bearer token is logged out, revoked or expired is told so, distinct from
    a request without a token (UNAUTHENTICATED)."""
    fault: TokenFault | None = getattr(info.context, "token_fault", None)
    if fault is not None:
        raise PublicError(TOKEN_FAULT_MESSAGES[fault], extensions={"code": fault.value})


def viewer_of(info: Info) -> Viewer:
    viewer: Viewer | None = info.context.viewer_at(info.path)
    if viewer is None:  # permission classes run first; this guards resolvers used without them
        raise_token_fault(info)
        raise PublicError("You need to log in.", extensions={"code": "UNAUTHENTICATED"})
    return viewer
