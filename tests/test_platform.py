"""Platform behaviour: configuration errors, health checks, CORS, request logs, introspection."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app import create_app
from settings import ConfigError, load_settings
from tests.conftest import (
    PROJECT_ROOT,
    GraphQLClient,
    World,
    free_port,
    make_settings,
    start_private_redis,
)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://localhost/x"),
        ("BROADCAST_URL", "kafka://broker"),
        ("SMTP_URL", "http://mail"),
        ("SECRET_KEY", "short"),
        ("PUBLIC_URL", "portal.example.com"),
        ("TOKEN_LIFETIME_SECONDS", "soon"),
        ("EMBEDDED_WORKER", "maybe"),
        ("INTROSPECTION", "nobody"),
        ("CORS_ORIGINS", "portal.example.com"),
    ],
)
def test_invalid_configuration_names_the_variable(tmp_path: Path, variable: str, value: str):
    with pytest.raises(ConfigError) as error:
        load_settings({"CHANNELPORT_DATA_DIR": str(tmp_path), variable: value})
    assert error.value.variable == variable
    assert str(error.value).startswith(f"{variable}: ")


def test_cli_fails_at_start_with_one_line(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "CHANNELPORT_DATA_DIR": str(tmp_path)}
    env["DATABASE_URL"] = "mysql://localhost/x"
    result = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main(['migrate'])"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Channelport cannot start: DATABASE_URL:")


def test_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load_settings({"CHANNELPORT_DATA_DIR": str(tmp_path)})
    second = load_settings({"CHANNELPORT_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_defaults(tmp_path: Path):
    settings = load_settings({"CHANNELPORT_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'channelport.sqlite3'}"
    assert settings.broadcast_url == "memory://"
    assert settings.smtp_url == "capture://"
    assert settings.embedded_worker is True


async def test_healthz_and_readyz(http: httpx.AsyncClient):
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": True, "pubsub": True}}


async def test_readyz_reports_a_lost_redis(database_url: str, tmp_path: Path):
    port = free_port()
    redis_server = start_private_redis(port, tmp_path)
    try:
        await _wait_for_port(port)
        settings = make_settings(database_url, tmp_path, BROADCAST_URL=f"redis://127.0.0.1:{port}")
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://t")
        async with app.router.lifespan_context(app), client:
            assert (await client.get("/readyz")).status_code == 200
            redis_server.terminate()
            redis_server.wait(timeout=10)
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"database": True, "pubsub": False}
    finally:
        redis_server.kill()
        redis_server.wait()


async def _wait_for_port(port: int) -> None:
    import asyncio

    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise RuntimeError(f"nothing listens on {port}")


async def test_cors_allows_configured_origins_only(database_url: str, tmp_path: Path):
    settings = make_settings(database_url, tmp_path, CORS_ORIGINS="https://portal.example.com")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            headers = {
                "origin": "https://portal.example.com",
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            }
            allowed = await client.options("/graphql", headers=headers)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "https://portal.example.com"
            refused = await client.options(
                "/graphql", headers={**headers, "origin": "https://evil.example"}
            )
            assert "access-control-allow-origin" not in refused.headers


async def test_one_structured_log_line_per_request(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, logger="channelport"):
        await http.get("/healthz")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "channelport"]
    assert len(lines) == 1
    assert lines[0]["event"] == "request"
    assert lines[0]["path"] == "/healthz"
    assert lines[0]["status"] == 200
    assert lines[0]["method"] == "GET"
    assert isinstance(lines[0]["duration_ms"], float)


INTROSPECT = "{ __schema { queryType { name } } }"


async def test_introspection_can_be_limited_to_vendor_admins(
    database_url: str, tmp_path: Path, world: World
):
    settings = make_settings(database_url, tmp_path, INTROSPECTION="admins")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            graphql = GraphQLClient(client)
            refused = await graphql.request(INTROSPECT, token=world.token("user_a"))
            assert refused["data"] is None
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            anonymous = await graphql.request(INTROSPECT)
            assert anonymous["data"] is None
            admin = await graphql.data(INTROSPECT, token=world.token("vendor_admin"))
            assert admin["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_open_by_default(gql: GraphQLClient):
    assert (await gql.data(INTROSPECT))["__schema"]["queryType"]["name"] == "Query"


async def test_browser_gets_the_console_page(http: httpx.AsyncClient):
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_subscription_over_http_gets_a_clear_error(gql: GraphQLClient, world: World):
    body = await gql.request(
        "subscription { serverTime(count: 1) }", token=world.token("vendor_admin")
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert "websocket" in body["errors"][0]["message"]
