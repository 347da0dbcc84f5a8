"""Inputs and situations that used to get internal errors, 500s or leaks: malformed request
bodies, omitted optional arguments, unknown ids reaching writes, a lost database, control and
bidi characters, weak email checks, schema suggestions, page headers and client hang-ups."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models.users import User
from schema.schema import schema
from services.vendor.service import get_vendor_settings
from tests.conftest import GraphQLClient, World, gid
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
  id partner { id } owner contact { id email } } }"""
SET_RENEWAL_DEFAULT = f"""mutation($owner: RenewalOwner!, $contact: ID, $partner: ID) {{
  setPartnerRenewalDefault(owner: $owner, contactUserId: $contact, partnerId: $partner) {{
    {RESULT} ... on PartnerRenewalDefault {{ owner contact {{ email }} }} }} }}"""


async def test_a_renewal_default_with_a_contact_can_be_read_by_everyone_who_may(
    gql: GraphQLClient, ready: World
):
    world = ready
    saved = await gql.data(
        SET_RENEWAL_DEFAULT,
        {"owner": "PARTNER", "contact": gid("User", world.user_a.id)},
        token=world.token("admin_a"),
    )
    assert saved["setPartnerRenewalDefault"]["contact"] == {"email": "user@alpha.test"}
    expected = {
        "id": gid("PartnerRenewalDefault", world.partner_a.id),
        "partner": {"id": gid("Partner", world.partner_a.id)},
        "owner": "PARTNER",
        "contact": {"id": gid("User", world.user_a.id), "email": "user@alpha.test"},
    }
    for role in ("admin_a", "user_a"):
        data = await gql.data(RENEWAL_DEFAULT, {}, token=world.token(role))
        assert data["partnerRenewalDefault"] == expected
    for role in ("vendor_admin", "manager"):
        data = await gql.data(
            RENEWAL_DEFAULT,
            {"partner": gid("Partner", world.partner_a.id)},
            token=world.token(role),
        )
        assert data["partnerRenewalDefault"] == expected


# ---- item 7: malformed request bodies get a 400 in the shape of a GraphQL response -----------

ME = b'{"query": "{ me { id } }"}'
MALFORMED_BODIES = {
    "invalid UTF-8": b'{"query": "{ me { id } }", "x": "\xff\xfe"}',
    "overlong UTF-8": b'{"query": "{ me { id } }", "x": "\xc0\xaf"}',
    "encoded surrogate": b'{"query": "{ me { id } }", "x": "\xed\xa0\x80"}',
    "deep nesting": b'{"query": "{ me { id } }", "variables": {"x": '
    + b"[" * 5000
    + b"]" * 5000
    + b"}}",
    "5,000-digit integer": b'{"query": "{ me { id } }", "variables": {"x": ' + b"9" * 5000 + b"}}",
    "null": b"null",
    "a number": b"5",
    "a string": b'"query"',
    "lone surrogate in a variable": b'{"query": "mutation($e: String!, $p: String!) '
    b'{ login(email: $e, password: $p) { __typename } }", '
    b'"variables": {"e": "a\\ud800@x.example", "p": "x"}}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED_BODIES))
async def test_a_malformed_body_is_a_graphql_shaped_400(
    http: httpx.AsyncClient, ready: World, name: str
):
    before = await database_state()
    response = await http.post(
        "/graphql",
        content=MALFORMED_BODIES[name],
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert await database_state() == before


async def test_other_refusals_of_the_http_layer_are_graphql_shaped(
    http: httpx.AsyncClient, ready: World
):
    response = await http.post("/graphql", content=ME, headers={"content-type": "text/plain"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# ---- item 7: optional arguments may be omitted -------------------------------------------------


async def test_every_optional_argument_may_be_omitted(gql: GraphQLClient, ready: World):
    from strawberry.types.base import StrawberryOptional
    from strawberry.types.unset import UNSET

    for root in ("Query", "Mutation"):
        for field in schema.get_type_by_name(root).fields:  # type: ignore[union-attr]
            for argument in field.arguments:
                omittable = isinstance(argument.type, StrawberryOptional)
                assert not omittable or argument.default is not UNSET, (
                    f"{root}.{field.name}({argument.python_name}) may be omitted in the schema "
                    "but the resolver has no default"
                )
    world = ready
    query = f"""mutation($partner: ID!) {{ setPartnerCommissionRate(partnerId: $partner) {{
      {RESULT} ... on PartnerCommissionRate {{ ratePercent isPartnerRate }} }} }}"""
    data = await gql.data(
        query, {"partner": gid("Partner", world.partner_a.id)}, world.token("vendor_admin")
    )
    assert data["setPartnerCommissionRate"]["isPartnerRate"] is False


# ---- item 7: an unknown id never reaches a write -------------------------------------------------


async def test_unknown_partner_ids_in_lead_settings_are_not_found(gql: GraphQLClient, ready: World):
    world = ready
    mutations = [
        f"""mutation($p: ID) {{ setLeadNotificationRecipients(userIds: [], salesRepIds: [],
            partnerId: $p) {{ {RESULT} }} }}""",
        f"""mutation($p: ID) {{ setAutoRegistration(partnerId: $p, enabled: true) {{
            {RESULT} }} }}""",
    ]
    for query in mutations:
        before = await database_state()
        data = await gql.data(query, {"p": gid("Partner", 987654)}, world.token("vendor_admin"))
        assert typed_errors(data) == [("partnerId", "NOT_FOUND")]
        assert await database_state() == before


# ---- item 7: one validation layer for text ------------------------------------------------------

UPDATE_VENDOR = f"""mutation($input: VendorSettingsInput!) {{
  updateVendorSettings(input: $input) {{ {RESULT} }} }}"""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("supportEmail", "a@@b.example"),
        ("supportEmail", "<script>@x.example"),
        ("supportEmail", "help@x.example\r\nBcc: all@x.example"),
        ("supportEmail", ""),
        ("supportEmail", "rtl\u202e@x.example"),
        ("vendorName", "Vendor\r\nInjected: header"),
        ("vendorName", "Vendor\u202eeman"),
        ("vendorName", "nul\x00"),
        ("vendorName", ""),
    ],
)
async def test_vendor_settings_refuse_what_is_not_a_name_or_address(
    gql: GraphQLClient, ready: World, field: str, value: str
):
    before = await database_state()
    data = await gql.data(UPDATE_VENDOR, {"input": {field: value}}, ready.token("vendor_admin"))
    assert typed_errors(data) == [(field, "INVALID")]
    assert await database_state() == before


async def test_control_and_bidi_characters_are_refused_before_any_consent_email(
    gql: GraphQLClient, ready: World
):
    from models.leads import Lead
    from models.outbox import OutboxEmail

    query = f"""mutation($input: RegisterLeadInput!) {{ registerLead(input: $input) {{
      {RESULT} }} }}"""
    cases = [
        ({"email": "nul\x00@customer.example"}, "email"),
        ({"email": "evil\u202eelpmaxe.com@customer.example"}, "email"),
        ({"email": "ok@customer.example", "company": "Acme\x00"}, "company"),
        ({"email": "ok@customer.example", "company": "Acme\u2066Corp"}, "company"),
        ({"email": "ok@customer.example", "firstName": "Jane\r\nDoe"}, "firstName"),
    ]
    for lead, field in cases:
        data = await gql.data(query, {"input": lead}, ready.token("user_a"))
        assert typed_errors(data) == [(field, "INVALID")], lead
    assert await Lead.all().count() == 0
    assert await OutboxEmail.all().count() == 0


async def test_control_characters_in_any_text_argument_are_a_typed_error(
    gql: GraphQLClient, ready: World
):
    world = ready
    # A free-text argument that no service checks character by character: the schema's net.
    before = await database_state()
    query = f"""mutation($id: ID!, $input: UserChangesInput!) {{
      updateUser(id: $id, input: $input) {{ {RESULT} }} }}"""
    data = await gql.data(
        query,
        {"id": gid("User", world.user_a.id), "input": {"fullName": "x\x00"}},
        world.token("admin_a"),
    )
    assert typed_errors(data) == [("fullName", "INVALID")]
    body = await gql.request(
        "query($s: String) { users(search: $s) { nodes { id } } }",
        {"s": "a\u202eb"},
        token=world.token("vendor_admin"),
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert await database_state() == before
    assert (await User.get(id=world.user_a.id)).full_name == world.user_a.full_name


# ---- item 12: no schema suggestions for those who may not introspect ---------------------------


async def test_suggestions_only_for_those_who_may_introspect(
    http: httpx.AsyncClient, settings: Any, world: World
):
    from dataclasses import replace

    from starlette.applications import Starlette

    from app import create_app

    application: Starlette = create_app(replace(settings, introspection="admins"))
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client,
    ):
        typo = {"query": "{ me { emial } partnerz { id } }"}
        enum_typo = {
            "query": "mutation($o: RenewalOwner!) { setPartnerRenewalDefault(owner: $o) "
            "{ __typename } }",
            "variables": {"o": "PARTNR"},
        }
        for token in (None, world.token("admin_a"), world.token("user_a")):
            headers = {"authorization": f"Bearer {token}"} if token else {}
            for request in (typo, enum_typo):
                body = (await client.post("/graphql", json=request, headers=headers)).json()
                assert body["errors"], body
                assert not any("Did you mean" in e["message"] for e in body["errors"]), body
        headers = {"authorization": f"Bearer {world.token('vendor_admin')}"}
        body = (await client.post("/graphql", json=typo, headers=headers)).json()
        assert any("Did you mean" in e["message"] for e in body["errors"]), body


# ---- item 13: one set of security headers for every HTML page ----------------------------------


async def test_every_html_page_has_the_security_headers(
    http: httpx.AsyncClient, ready: World, settings: Any
):
    import uuid

    from services.email.tracking import unsubscribe_url

    pages = [
        unsubscribe_url(settings, uuid.uuid4()).removeprefix(settings.public_url),
        "/email/unsubscribe/not-a-uid/not-a-signature",
        "/consent/not-a-token",
    ]
    for path in pages:
        response = await http.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
    console = await http.get("/graphql", headers={"accept": "text/html"})
    assert "script-src 'self'" in console.headers["content-security-policy"]
    assert console.headers["x-frame-options"] == "DENY"


# ---- item 7: PostgreSQL dropping its connections -------------------------------------------------


async def test_requests_while_postgresql_drops_connections_get_graphql_errors(
    http: httpx.AsyncClient, ready: World, database_url: str
):
    if not database_url.startswith("postgres"):
        pytest.skip("terminating backends is a PostgreSQL test")
    import asyncio

    import asyncpg

    server, _, name = database_url.rpartition("/")
    admin = await asyncpg.connect(f"{server}/postgres")
    statuses = []
    try:
        headers = {"authorization": f"Bearer {ready.token('admin_a')}"}
        for _ in range(4):
            # Only this scratch database's connections: never the shared server's others.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            requests = [
                http.post("/graphql", json={"query": "{ me { id partner { name } } }"}, headers=h)
                for h in (headers, headers, {})
            ]
            for response in await asyncio.gather(*requests):
                statuses.append(response.status_code)
                body = response.json()  # never a plain-text 500
                for error in body.get("errors") or []:
                    assert error["extensions"]["code"] in ("SERVICE_UNAVAILABLE", "UNAUTHENTICATED")
                    assert "Unexpected error" not in error["message"]
    finally:
        await admin.close()
    assert 503 in statuses  # the terminated connections were noticed, not hidden
    assert all(status in (200, 503) for status in statuses), statuses
    # Each pooled connection that died answers one 503 as it is found dead and dropped; then the
    # pool serves fresh connections again (a retrying client recovers within the pool's size).
    for _ in range(10):
        recovered = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        assert recovered.status_code in (200, 503)
        if recovered.status_code == 200:
            break
    assert recovered.status_code == 200
    assert not recovered.json().get("errors")


# ---- item 13: a client hanging up is not an error ----------------------------------------------


async def test_a_client_disconnecting_mid_request_is_not_logged_as_an_error(
    ready: World, settings: Any, tmp_path: Any
):
    import asyncio
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT, free_port, server_environment

    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(  # noqa: ASYNC220 (started once, before any await)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=server_environment(settings, LOG_LEVEL="INFO"),
            cwd=PROJECT_ROOT,
            stderr=log_file,
            stdout=log_file,
        )
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        for path in ("/graphql", "/consent/answer"):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f'Content-Length: 1000\r\n\r\n{{"query": '.encode()
            )
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
            await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as client:
            alive = await client.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}
            )
            assert alive.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    output = log_path.read_text()
    assert "Traceback" not in output, output
    assert "Exception in ASGI application" not in output, output
    assert "disconnected" in output
