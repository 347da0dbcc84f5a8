"""The configuration `tortoise makemigrations` reads (`-c services.tortoise_cli_config.TORTOISE_ORM`)."""

from services.database import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://:memory:")
