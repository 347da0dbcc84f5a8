"""Schema-wide fuzz test: no input, as any caller, gets an internal error or writes half.

Every query and mutation of the schema is called, as each role (anonymous, vendor admin, channel
manager, partner admin, partner user, a switchAccount token), with arguments generated from the
schema's own types (tests/schema_fuzz_support.py). Every answer must be GraphQL (never a 5xx)
without INTERNAL_SERVER_ERROR or "Unexpected error", and a mutation that is refused (a typed
error or a GraphQL error instead of its result) must leave every row of every table as it was.

The examples are derandomised: a failure shows the same falsifying example on every run. Set
CHANNELPORT_FUZZ_EXAMPLES to explore more (e.g. 2000) when changing the schema.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tortoise import Tortoise

from models.customers import Customer
from models.enums import GroupKind, Role
from models.partners import PartnerGroup
from models.users import SalesRep, User
from schema.schema import schema
from services.users.auth import open_session
from services.vendor.service import get_vendor_settings
from settings import Settings
from tests.conftest import World, make_user
from tests.schema_fuzz_support import RootField, arguments, root_fields

EXAMPLES = int(os.environ.get("CHANNELPORT_FUZZ_EXAMPLES", "1000"))
ROLES = ("anonymous", "vendor_admin", "manager", "admin_a", "user_a", "acting_a")
ROOT_FIELDS = root_fields(schema._schema)
MAX_ID = 8  # every table's first rows: the caller's own objects and other partners'
# Tables a refused request may legitimately write: sessions (last use), failed logins (the
# rate limit) and the switch-account audit (refusals are audited on purpose).
AUDIT_TABLES = {"auth_session", "login_failure", "switch_account_audit", "audit_entry"}


@pytest.fixture
async def fuzz_world(world: World, settings: Settings) -> World:
    """The two-partner world with a customer, group and sales rep each, and an act-as user."""
    await get_vendor_settings()
    for partner in (world.partner_a, world.partner_b):
        await Customer.create(partner=partner, name=f"Customer of {partner.name}")
        await PartnerGroup.create(name=f"Group {partner.name}", kind=GroupKind.STATIC)
        await SalesRep.create(
            partner=partner, full_name=f"Rep of {partner.name}", email="rep@x.test"
        )
    await make_user("second-admin@alpha.test", Role.PARTNER_ADMIN, world.partner_a)
    return world


async def token_for_role(world: World, settings: Settings, role: str) -> str | None:
    """A fresh token (earlier examples may have logged the role's sessions out)."""
    if role == "anonymous":
        return None
    name = "admin_a" if role == "acting_a" else role
    user = await User.get_or_none(id=getattr(world, name).id)
    if user is None:
        return None
    acting = None
    if role == "acting_a":
        customer = await Customer.filter(partner_id=world.partner_a.id).order_by("id").first()
        acting = customer.id if customer else None
    return await open_session(settings, user, "10.0.0.1", acting_customer_id=acting)


async def every_row() -> dict[str, list[dict[str, Any]]]:
    state = {}
    for app in Tortoise.apps.values():
        for model in app.values():
            table = model._meta.db_table
            if table not in AUDIT_TABLES:
                state[table] = await model.all().order_by(model._meta.pk_attr).values()
    return state


def refused(root: RootField, body: dict[str, Any]) -> bool:
    data = body.get("data") or {}
    payload = data.get(root.name)
    return payload is None or (
        isinstance(payload, dict) and payload.get("__typename") == "OperationErrors"
    )


@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_input_gets_an_internal_error_or_writes_half(
    fuzz_world: World, settings: Settings, http: httpx.AsyncClient, data: st.DataObject
):
    role = data.draw(st.sampled_from(ROLES), label="role")
    root = data.draw(st.sampled_from(ROOT_FIELDS), label="field")
    values = data.draw(arguments(root, MAX_ID), label="arguments")
    query = root.document(values)
    note(query)
    token = await token_for_role(fuzz_world, settings, role)
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    # ensure_ascii keeps lone surrogates as \ud800 escapes, as a client could send them.
    content = json.dumps({"query": query, "variables": values}, ensure_ascii=True)
    before = await every_row() if root.operation == "mutation" else None
    response = await http.post("/graphql", content=content, headers=headers)
    assert response.status_code < 500, response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", body
        assert "Unexpected error" not in error["message"], body
    if before is not None and refused(root, body):
        assert await every_row() == before, body
