"""Test fixtures: a scratch database per run (SQLite or PostgreSQL), the real app, a GraphQL client.

Choose the database with CHANNELPORT_TEST_DATABASE: `sqlite` (default) or a PostgreSQL server URL
such as `postgres://postgres@127.0.0.1:5432`; a database with a random name is created on it for
the run, migrated with the committed migrations, emptied before each test and dropped at the end.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from strawberry.relay import GlobalID
from tortoise import Tortoise, connections

from app import create_app
from models.enums import PartnerStatus, PartnerTier, Role
from models.partners import PartnerOrg
from models.users import User
from services.platform.database import migrate_database
from services.users.auth import hash_password, open_session
from settings import Settings, load_settings

TEST_PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(TEST_PASSWORD)


def _postgres_server_url() -> str | None:
    choice = os.environ.get("CHANNELPORT_TEST_DATABASE", "sqlite")
    return None if choice == "sqlite" else choice.rstrip("/")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    server = _postgres_server_url()
    if server is None:
        path = tmp_path_factory.mktemp("db") / "channelport.sqlite3"
        url = f"sqlite://{path}"
        await migrate_database(url)
        yield url
        return
    name = f"channelport_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    try:
        await migrate_database(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def make_settings(database_url: str, data_dir: Path, **overrides: str) -> Settings:
    env = {
        "DATABASE_URL": database_url,
        "CHANNELPORT_DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "EMBEDDED_WORKER": "false",
        "PUBLIC_URL": "http://portal.test",
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return load_settings(env)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


async def empty_all_tables() -> None:
    connection = connections.get("default")
    tables = [model._meta.db_table for app in Tortoise.apps.values() for model in app.values()]
    if connection.capabilities.dialect == "postgres":
        quoted = ", ".join(f'"{t}"' for t in tables)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        for table in tables:
            await connection.execute_script(f'DELETE FROM "{table}"')
        await connection.execute_script("DELETE FROM sqlite_sequence")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The real application, started through its own lifespan, on an emptied database."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await empty_all_tables()
        yield application


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    token: str | None = None

    async def request(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {}
        bearer = token if token is not None else self.token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a request that must succeed without GraphQL errors."""
        body = await self.request(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def as_user(self, token: str) -> GraphQLClient:
        return GraphQLClient(self.http, token)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


@pytest.fixture
async def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


# ---- global ids ----------------------------------------------------------------------------


def gid(type_name: str, pk: int) -> str:
    """The API's global id of a record, e.g. gid("Partner", partner.id)."""
    return str(GlobalID(type_name, str(pk)))


def pk_of(global_id: str, type_name: str | None = None) -> int:
    """The primary key in a global id the API returned (checking its type if given)."""
    decoded = GlobalID.from_id(global_id)
    if type_name is not None:
        assert decoded.type_name == type_name, (global_id, decoded.type_name, type_name)
    return int(decoded.node_id)


# ---- factories -----------------------------------------------------------------------------


async def make_partner(
    name: str = "Partner",
    status: PartnerStatus = PartnerStatus.ACTIVE,
    tier: PartnerTier = PartnerTier.SILVER,
    country: str = "NL",
) -> PartnerOrg:
    return await PartnerOrg.create(name=name, status=status, tier=tier, country=country)


async def make_user(
    email: str,
    role: Role = Role.PARTNER_USER,
    partner: PartnerOrg | None = None,
    **fields: Any,
) -> User:
    fields.setdefault("password_hash", _PASSWORD_HASH)
    return await User.create(email=email, role=role, partner=partner, **fields)


async def token_for(settings: Settings, user: User) -> str:
    return await open_session(settings, user, "10.0.0.1")


@dataclass
class World:
    """Two partners with an admin and a user each, a vendor admin and a channel manager."""

    vendor_admin: User
    manager: User
    partner_a: PartnerOrg
    partner_b: PartnerOrg
    admin_a: User
    user_a: User
    admin_b: User
    user_b: User
    tokens: dict[str, str]

    def token(self, name: str) -> str:
        return self.tokens[name]


@pytest.fixture
async def world(app: Starlette, settings: Settings) -> World:
    from models.users import ChannelManagerAssignment

    partner_a = await make_partner("Alpha Partners")
    partner_b = await make_partner("Beta Partners", tier=PartnerTier.GOLD, country="DE")
    users = {
        "vendor_admin": await make_user("admin@vendor.test", Role.VENDOR_ADMIN),
        "manager": await make_user("manager@vendor.test", Role.CHANNEL_MANAGER),
        "admin_a": await make_user("admin@alpha.test", Role.PARTNER_ADMIN, partner_a),
        "user_a": await make_user("user@alpha.test", Role.PARTNER_USER, partner_a),
        "admin_b": await make_user("admin@beta.test", Role.PARTNER_ADMIN, partner_b),
        "user_b": await make_user("user@beta.test", Role.PARTNER_USER, partner_b),
    }
    await ChannelManagerAssignment.create(manager=users["manager"], partner=partner_a)
    tokens = {name: await token_for(settings, user) for name, user in users.items()}
    return World(partner_a=partner_a, partner_b=partner_b, tokens=tokens, **users)


# ---- counting SQL statements ---------------------------------------------------------------


class _StatementCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Collect the SQL statements Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    counter = _StatementCounter()
    previous_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter.statements
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous_level)


# ---- a real server process -----------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment that makes a child process use the same database and secret as the test."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "CHANNELPORT_DATA_DIR": str(settings.data_dir),
            "SECRET_KEY": settings.secret_key,
            "PUBLIC_URL": settings.public_url,
            "EMBEDDED_WORKER": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(overrides)
    return env


@dataclass
class LiveServer:
    url: str
    ws_url: str
    process: Any


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def spawn_uvicorn(env: dict[str, str], port: int) -> Any:
    """Start `uvicorn app:app` as a child process on 127.0.0.1:port."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)


def start_private_redis(port: int, directory: Path) -> Any:
    """A private redis-server on 127.0.0.1:port that a test may stop (never the shared one)."""
    import subprocess

    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


async def start_live_server(env: dict[str, str]) -> LiveServer:
    import asyncio

    port = free_port()
    process = spawn_uvicorn(env, port)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return LiveServer(
                        url=url, ws_url=f"ws://127.0.0.1:{port}/graphql", process=process
                    )
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start within 10 seconds")


def stop_live_server(server: LiveServer) -> None:
    import subprocess

    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
async def live_server(app: Starlette, settings: Settings) -> AsyncIterator[LiveServer]:
    """A real uvicorn process serving the app on the test's (emptied) database."""
    server = await start_live_server(server_environment(settings))
    try:
        yield server
    finally:
        stop_live_server(server)
