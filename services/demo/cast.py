"""Who the demo data set made: its partners, users and customers by name, and the viewer of each
user, so that every later part of the demo acts through the services as that person would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.customers import Customer
from models.partners import PartnerGroup, PartnerOrg
from models.users import User
from services.platform.viewer import Viewer

# The session id of every viewer the demo acts as: no login session stands behind it.
DEMO_SESSION = "demo-data"


def viewer_of(user: User) -> Viewer:
    """The caller a service sees when this user acts in the portal."""
    return Viewer(
        user_id=user.id,
        email=user.email,
        role=user.role,
        partner_id=user.partner_id,  # type: ignore[attr-defined]
        session_id=DEMO_SESSION,
    )


@dataclass
class DemoCast:
    now: datetime
    users: dict[str, User] = field(default_factory=dict)  # by email
    partners: dict[str, PartnerOrg] = field(default_factory=dict)  # by name
    customers: dict[str, Customer] = field(default_factory=dict)  # by name
    groups: dict[str, PartnerGroup] = field(default_factory=dict)  # by name

    def add_user(self, user: User) -> User:
        self.users[user.email] = user
        return user

    def user(self, email: str) -> User:
        return self.users[email]

    def as_user(self, email: str) -> Viewer:
        """The viewer of the demo user with this email."""
        return viewer_of(self.users[email])

    @property
    def vendor(self) -> Viewer:
        """The vendor admin, as whom the vendor (and its product's integration) acts."""
        return self.as_user("admin@vendor.example")
