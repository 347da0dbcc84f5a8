"""Tortoise ORM models, one module per domain.

The core app (label `models`) holds the foundation and email delivery; each later domain is a
Tortoise app of its own with its own migrations package, so that domains evolve independently.
Relations across apps name the app: `"models.PartnerOrg"`.
"""

# The core app: vendor settings, partners and groups, users, customers, the email outbox.
MODEL_MODULES = [
    "models.vendor",
    "models.partners",
    "models.users",
    "models.customers",
    "models.outbox",
]

# Every app: label -> (model modules, migrations package).
MODEL_APPS: dict[str, tuple[list[str], str]] = {
    "models": (MODEL_MODULES, "migrations.core"),
    "leads": (["models.leads"], "migrations.leads"),
    "accounts": (
        ["models.accounts", "models.deals", "models.deal_registrations", "models.renewals"],
        "migrations.accounts",
    ),
    "consent": (["models.consent"], "migrations.consent"),
    "lead_management": (["models.lead_management"], "migrations.lead_management"),
    "messaging": (["models.messaging"], "migrations.messaging"),
    "webhooks": (["models.webhooks"], "migrations.webhooks"),
    "audit": (["models.audit"], "migrations.audit"),
}
