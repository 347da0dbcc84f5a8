"""Tortoise ORM models, one module per domain. `MODEL_MODULES` is what Tortoise loads."""

MODEL_MODULES = [
    "models.vendor",
    "models.partners",
    "models.users",
    "models.customers",
    "models.outbox",
]
