"""Inputs and situations that used to get internal errors, 500s or leaks: malformed request
bodies, omitted optional arguments, unknown ids reaching writes, a lost database, control and
bidi characters, weak email checks, schema suggestions, page headers and client hang-ups."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models.enums import Role
from models.users import User
from schema.schema import schema
from services.vendor import get_vendor_settings
from tests.conftest import GraphQLClient, World
from tests.database_state import database_state

RESULT = "__typename ... on OperationErrors { errors { field code message } }"


@pytest.fixture
async def ready(world: World) -> World:
    await get_vendor_settings()  # created on first use: make it exist before any comparison
    return world


def typed_errors(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    (payload,) = data.values()
    assert payload["__typename"] == "OperationErrors", payload
    return [(error["field"], error["code"]) for error in payload["errors"]]


# ---- item 9: a partner's renewal default with a contact user -------------------------------

RENEWAL_DEFAULT = """query($partner: ID) { partnerRenewalDefault(partnerId: $partner) {
  partnerId owner contact { id email } } }"""
SET_RENEWAL_DEFAULT = f"""mutation($owner: RenewalOwner!, $contact: ID, $partner: ID) {{
  setPartnerRenewalDefault(owner: $owner, contactUserId: $contact, partnerId: $partner) {{
    {RESULT} ... on PartnerRenewalDefault {{ owner contact {{ email }} }} }} }}"""


async def test_a_renewal_default_with_a_contact_can_be_read_by_everyone_who_may(
    gql: GraphQLClient, ready: World
):
    world = ready
    saved = await gql.data(
        SET_RENEWAL_DEFAULT,
        {"owner": "PARTNER", "contact": str(world.user_a.id)},
        token=world.token("admin_a"),
    )
    assert saved["setPartnerRenewalDefault"]["contact"] == {"email": "user@alpha.test"}
    expected = {
        "partnerId": str(world.partner_a.id),
        "owner": "PARTNER",
        "contact": {"id": str(world.user_a.id), "email": "user@alpha.test"},
    }
    for role in ("admin_a", "user_a"):
        data = await gql.data(RENEWAL_DEFAULT, {}, token=world.token(role))
        assert data["partnerRenewalDefault"] == expected
    for role in ("vendor_admin", "manager"):
        data = await gql.data(
            RENEWAL_DEFAULT, {"partner": str(world.partner_a.id)}, token=world.token(role)
        )
        assert data["partnerRenewalDefault"] == expected
