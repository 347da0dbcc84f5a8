"""Enumerations stored in the database and shared by services and the GraphQL schema."""

from enum import StrEnum


class Role(StrEnum):
    VENDOR_ADMIN = "vendor_admin"
    CHANNEL_MANAGER = "channel_manager"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_USER = "partner_user"


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class PartnerStatus(StrEnum):
    ACTIVE = "active"
    TEST = "test"
    INACTIVE = "inactive"


class PartnerTier(StrEnum):
    REGISTERED = "registered"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class GroupKind(StrEnum):
    STATIC = "static"
    DYNAMIC = "dynamic"


class CustomerStatus(StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    CLOSED = "closed"


class ContactRole(StrEnum):
    PRIMARY = "primary"
    BILLING = "billing"
    DECISION_MAKER = "decision_maker"
