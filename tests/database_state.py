"""Every row of the core tables, to assert that a refused or failed operation changed nothing."""

from __future__ import annotations

from typing import Any

from tortoise.models import Model

from models.customers import Customer, CustomerContact
from models.partners import PartnerGroup, PartnerGroupMember, PartnerOrg
from models.users import ChannelManagerAssignment, SalesRep, User
from models.vendor import VendorSettings

CORE_MODELS: tuple[type[Model], ...] = (
    PartnerOrg,
    PartnerGroup,
    PartnerGroupMember,
    User,
    ChannelManagerAssignment,
    SalesRep,
    Customer,
    CustomerContact,
    VendorSettings,
)


async def database_state() -> dict[str, list[dict[str, Any]]]:
    """All rows (every column) of the core tables, ordered by id."""
    return {model.__name__: await model.all().order_by("id").values() for model in CORE_MODELS}


async def row_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in CORE_MODELS}
