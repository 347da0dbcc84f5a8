"""Database wiring: the Tortoise configuration, start-up, migrations and shutdown."""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate as run_migrations

from models import MODEL_APPS
from models.tracking import install_tracking


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database URL, with our models and migrations."""
    if database_url.startswith("postgresql://"):
        database_url = "postgres://" + database_url.removeprefix("postgresql://")
    return {
        "connections": {"default": database_url},
        "apps": {
            label: {"models": modules, "default_connection": "default", "migrations": package}
            for label, (modules, package) in MODEL_APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(database_url: str) -> None:
    """Connect Tortoise for this process (visible to every task, as the web server needs)."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    install_tracking()  # updated_at on every write, row changes for the audit log


async def close_database() -> None:
    await Tortoise.close_connections()


async def migrate_database(database_url: str) -> None:
    """Apply every committed migration that this database has not had yet."""
    await run_migrations(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def database_is_reachable() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


# What a lost or refused database connection raises: the server went away or terminated our
# backend (pg_terminate_backend, a restart), a connection cannot be made, the socket broke.
_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    # A connection whose server side went away mid-operation is left in a broken protocol state.
    asyncpg.exceptions.InternalClientError,
    DBConnectionError,
    ConnectionError,
    TimeoutError,
)


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) means the database could not be reached right now."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _UNAVAILABLE):
            return True
        if isinstance(error, asyncpg.InterfaceError) and "closed" in str(error):
            return True  # "connection is closed": the pool handed out a dead connection
        error = error.__cause__ or error.__context__
    return False
