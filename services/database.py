"""Database wiring: the Tortoise configuration, start-up, migrations and shutdown."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as run_migrations

from models import MODEL_APPS


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
