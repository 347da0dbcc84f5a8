"""The ceiling for bench/list_query.py: one plain Starlette endpoint, no GraphQL, no ORM models.

POST /graphql answers the benchmark's 50-partner list query for a vendor admin with byte-for-byte
the JSON the real stack returns, by running the same SQL statements the real stack sends (the
bench checks both: the statements, compared by shape, and the response bytes). It goes through the
same database driver and pool as the real stack, Tortoise's connection `execute_query` (aiosqlite
behind Tortoise's connection lock on SQLite, asyncpg's pool on PostgreSQL), but builds the JSON
straight from the rows. It verifies the bearer token the same way (signed session id, session row
joined to its user) and serves the vendor-admin case only: any other caller gets 403.

`uvicorn bench.bare_list_app:app` reads DATABASE_URL and SECRET_KEY like the real app.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections

from services.platform.database import close_database, open_database
from services.users.auth import unsign_value
from settings import Settings, load_settings

PAGE_SIZE = 50
# The page of a partner's users the query gets (the connection's default page size).
USERS_PAGE_SIZE = 20

_PARTNER_COLUMNS = (
    '"invoice_address","created_at","updated_at","tier","invoice_vat_number","name","status",'
    '"invoice_email","invoice_company_name","id","country"'
)
_USER_COLUMNS = (
    '"created_at","updated_at","is_supplier_default_lead_owner","full_name","locale",'
    '"password_hash","role","is_sales_rep","is_default_lead_recipient","is_active","email","id",'
    '"supplier_emails_opt_in","partner_id"'
)
_SESSION_COLUMNS = ",".join(
    f'"auth_session"."{c}"'
    for c in (
        "created_at",
        "client_address",
        "expires_at",
        "acting_customer_id",
        "parent_session_id",
        "user_id",
        "id",
        "revoked_at",
    )
)
_SESSION_USER_COLUMNS = ",".join(
    f'"auth_session__user"."{c}" "auth_session__user.{c}"'
    for c in (
        "created_at",
        "updated_at",
        "is_supplier_default_lead_owner",
        "full_name",
        "locale",
        "password_hash",
        "role",
        "is_sales_rep",
        "is_default_lead_recipient",
        "is_active",
        "email",
        "id",
        "supplier_emails_opt_in",
        "partner_id",
    )
)


class Statements:
    """The SQL the real stack sends for the list query, in one dialect's parameter style."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres

    def _param(self, position: int) -> str:
        return f"${position}" if self.postgres else "?"

    def _params(self, count: int) -> str:
        return ",".join(self._param(i + 1) for i in range(count))

    def session(self) -> str:
        return (
            f"SELECT {_SESSION_COLUMNS},{_SESSION_USER_COLUMNS} "
            'FROM "auth_session" LEFT OUTER JOIN "portal_user" "auth_session__user" '
            'ON "auth_session__user"."id"="auth_session"."user_id" '
            f'WHERE "auth_session"."id"={self._param(1)} '
            'AND "auth_session"."revoked_at" IS NULL '
            f'AND "auth_session"."expires_at">{self._param(2)} LIMIT {self._param(3)}'
        )

    def partner_page(self) -> str:
        return (
            f'SELECT {_PARTNER_COLUMNS} FROM "partner_org" ORDER BY "id" ASC LIMIT {self._param(1)}'
        )

    def memberships(self, count: int) -> str:
        return (
            'SELECT "group_id" "1","partner_id" "0" FROM "partner_group_member" '
            f'WHERE "partner_id" IN ({self._params(count)})'
        )

    def groups(self, static_count: int) -> str:
        return (
            'SELECT "created_at","name","description","rule","id","kind" FROM "partner_group" '
            f'WHERE "id" IN ({self._params(static_count)}) '
            f'OR "kind"={self._param(static_count + 1)}'
        )

    def rule_fields_of_partners(self, count: int) -> str:
        return (
            'SELECT "status" "status","tier" "tier","country" "country","id" "id" '
            f'FROM "partner_org" WHERE "id" IN ({self._params(count)})'
        )

    def users_of_partners(self, count: int) -> str:
        """The first USERS_PAGE_SIZE + 1 users of each partner, numbered per partner."""
        rank = (
            'ROW_NUMBER() OVER (PARTITION BY "portal_user"."partner_id" '
            'ORDER BY "portal_user"."id" ASC) "row_in_parent"'
        )
        return (
            f'SELECT * FROM (SELECT {_USER_COLUMNS},{rank} FROM "portal_user" '
            f'WHERE "partner_id" IN ({self._params(count)})) "ranked" '
            f'WHERE "row_in_parent" <= {USERS_PAGE_SIZE + 1}'
        )


async def _rows(sql: str, values: list[Any]) -> Sequence[Any]:
    _, rows = await connections.get("default").execute_query(sql, values)
    return rows


def _global_id(type_name: str, pk: int) -> str:
    """The opaque id the API gives a record: base64 of "TypeName:pk"."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _cursor(partner_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{partner_id}".encode()).decode().rstrip("=")


def _matches(partner: Any, rule: list[dict[str, Any]]) -> bool:
    for condition in rule:
        inside = str(partner[condition["field"]]) in condition["values"]
        if inside != (condition["operator"] in ("equals", "in")):
            return False
    return True


async def _groups_by_partner(
    statements: Statements, partner_ids: list[int]
) -> dict[int, list[tuple[int, str]]]:
    result: dict[int, list[tuple[int, str]]] = {p: [] for p in partner_ids}
    pairs = [
        (row["0"], row["1"])
        for row in await _rows(statements.memberships(len(partner_ids)), partner_ids)
    ]
    static_ids = sorted({group_id for _, group_id in pairs})
    groups = await _rows(statements.groups(len(static_ids)), [*static_ids, "dynamic"])
    names = {g["id"]: g["name"] for g in groups}
    for partner_id, group_id in pairs:
        result[partner_id].append((group_id, names[group_id]))
    rules = [
        (g["id"], g["name"], g["rule"] if isinstance(g["rule"], list) else json.loads(g["rule"]))
        for g in groups
        if g["kind"] == "dynamic"
    ]
    if rules:
        rows = await _rows(statements.rule_fields_of_partners(len(partner_ids)), partner_ids)
        for partner in rows:
            result[partner["id"]].extend(
                (group_id, name) for group_id, name, rule in rules if _matches(partner, rule)
            )
    for groups in result.values():
        groups.sort(key=lambda group: group[0])
    return result


async def _users_by_partner(
    statements: Statements, partner_ids: list[int]
) -> dict[int, list[dict[str, str]]]:
    ranked: dict[int, list[tuple[int, dict[str, str]]]] = {p: [] for p in partner_ids}
    for row in await _rows(statements.users_of_partners(len(partner_ids)), partner_ids):
        ranked[row["partner_id"]].append(
            (
                row["row_in_parent"],
                {
                    "id": _global_id("User", row["id"]),
                    "email": row["email"],
                    "role": row["role"].upper(),
                },
            )
        )
    return {
        partner: [user for _, user in sorted(users, key=lambda r: r[0])][:USERS_PAGE_SIZE]
        for partner, users in ranked.items()
    }


async def _is_vendor_admin(settings: Settings, statements: Statements, token: str) -> bool:
    session_id = unsign_value(settings, "session", token.strip())
    if session_id is None:
        return False
    rows = await _rows(statements.session(), [session_id, datetime.now(UTC), 2])
    if not rows:
        return False
    session = rows[0]
    return bool(session["auth_session__user.is_active"]) and (
        session["auth_session__user.role"] == "vendor_admin"
    )


async def partner_list_json(settings: Settings, token: str) -> bytes | None:
    """The list query's response body for a vendor admin's token, or None for anyone else."""
    statements = Statements(postgres=not settings.uses_sqlite)
    if not await _is_vendor_admin(settings, statements, token):
        return None
    rows = await _rows(statements.partner_page(), [PAGE_SIZE + 1])
    page = rows[:PAGE_SIZE]
    partner_ids = [row["id"] for row in page]
    groups, users = await asyncio.gather(
        _groups_by_partner(statements, partner_ids), _users_by_partner(statements, partner_ids)
    )
    body = {
        "data": {
            "partners": {
                "edges": [
                    {
                        "node": {
                            "id": _global_id("Partner", row["id"]),
                            "name": row["name"],
                            "status": row["status"].upper(),
                            "tier": row["tier"].upper(),
                            "country": row["country"],
                            "groups": {
                                "nodes": [
                                    {"id": _global_id("PartnerGroup", group_id), "name": name}
                                    for group_id, name in groups[row["id"]]
                                ]
                            },
                            "users": {"nodes": users[row["id"]]},
                        }
                    }
                    for row in page
                ],
                "pageInfo": {
                    "hasNextPage": len(rows) > PAGE_SIZE,
                    "endCursor": _cursor(partner_ids[-1]) if partner_ids else None,
                },
            }
        }
    }
    return json.dumps(body, separators=(",", ":")).encode()


def create_bare_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_database(settings.database_url)
        try:
            yield
        finally:
            await close_database()

    async def partner_list(request: Request) -> Response:
        await request.json()  # read the body as the GraphQL endpoint does
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        body = await partner_list_json(settings, token) if scheme.lower() == "bearer" else None
        if body is None:
            return JSONResponse({"errors": [{"message": "Vendor admins only."}]}, status_code=403)
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/graphql", partner_list, methods=["POST"])], lifespan=lifespan)


def __getattr__(name: str) -> Starlette:
    # `uvicorn bench.bare_list_app:app` builds the app from the environment on first access.
    if name == "app":
        application = create_bare_app(load_settings())
        globals()["app"] = application
        return application
    raise AttributeError(name)
