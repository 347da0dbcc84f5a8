"""What `tortoise -c services.platform.tortoise_cli_config.TORTOISE_ORM makemigrations` reads."""

from services.platform.database import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://:memory:")
