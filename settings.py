"""Channelport's configuration, read once from environment variables.

Every variable has a safe embedded default, so `channelport serve` works with nothing set: a SQLite
file and a generated secret key in the data folder, in-process pub/sub, emails captured locally.
An invalid value stops start-up with one line naming the variable (see `ConfigError`).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg", "psycopg")
BROADCAST_SCHEMES = ("memory", "redis", "rediss")
SMTP_SCHEMES = ("capture", "smtp", "smtps")
INTROSPECTION_MODES = ("all", "admins")


class ConfigError(Exception):
    """A configuration variable holds a value Channelport cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broadcast_url: str
    smtp_url: str
    secret_key: str
    public_url: str
    cors_origins: tuple[str, ...]
    token_lifetime_seconds: int
    introspection: str
    embedded_worker: bool
    max_request_bytes: int
    login_max_failures: int
    login_failure_window_seconds: int
    mail_from: str
    log_level: str
    # Email delivery (services/email): the bounce-report endpoint's shared secret ("" = refused),
    # and how the outbox sender works through the queue.
    bounce_webhook_secret: str = ""
    email_batch_size: int = 50
    email_max_attempts: int = 8
    email_retry_seconds: int = 60
    email_lease_seconds: int = 300
    # The audit log keeps entries this many days (services/audit/jobs.py).
    audit_retention_days: int = 365
    smtp_connections: int = 4
    # Queries run through cached execution plans (schema/platform/execution_plan.py); off: every
    # operation on graphql-core's standard executor (same results, slower).
    execution_plans: bool = True
    # A manifest of trusted documents (resolvers/platform/trusted_documents.py): when set, only
    # the operations it lists run, named by hash. "" = any operation runs.
    trusted_documents: str = ""
    # Outbound webhooks (services/webhooks): hosts or CIDRs that may be private addresses, the
    # request timeout, retries, when a failing endpoint is disabled, the secret rotation overlap.
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_timeout_seconds: int = 10
    webhook_max_attempts: int = 8
    webhook_retry_seconds: int = 30
    webhook_disable_after_failures: int = 20
    webhook_disable_after_seconds: int = 24 * 3600
    webhook_secret_overlap_seconds: int = 24 * 3600
    webhook_lease_seconds: int = 120
    # The partner portal's base URL: links in emails that point into the portal (a lead
    # notification's "Open the lead"). "" = such emails carry no portal link.
    portal_url: str = ""

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _url(variable: str, value: str, schemes: tuple[str, ...]) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(variable, f"expected a URL starting with one of {allowed}, got {value!r}")
    return value


def _int(env: dict[str, str], variable: str, default: int, minimum: int = 1) -> int:
    raw = env.get(variable)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise ConfigError(variable, f"expected a whole number, got {raw!r}") from None
    if number < minimum:
        raise ConfigError(variable, f"must be at least {minimum}, got {number}")
    return number


def _bool(env: dict[str, str], variable: str, default: bool) -> bool:
    raw = env.get(variable)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(variable, f"expected true or false, got {raw!r}")


def _secret_key(env: dict[str, str], data_dir: Path) -> str:
    configured = env.get("SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ConfigError("SECRET_KEY", "must be at least 32 characters long")
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def _allowed_hosts(env: dict[str, str]) -> tuple[str, ...]:
    """WEBHOOK_ALLOWED_HOSTS: comma-separated host names or CIDRs (192.168.0.0/16, 127.0.0.1)."""
    entries = tuple(
        e.strip().lower() for e in (env.get("WEBHOOK_ALLOWED_HOSTS") or "").split(",") if e.strip()
    )
    for entry in entries:
        if any(c in entry for c in "/:") or entry.replace(".", "").isdigit():
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigError(
                    "WEBHOOK_ALLOWED_HOSTS", f"{entry!r} is neither a host name nor a CIDR"
                ) from None
    return entries


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build `Settings` from `env` (default: the process environment), or raise `ConfigError`."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("CHANNELPORT_DATA_DIR") or "data").resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError("CHANNELPORT_DATA_DIR", f"cannot create {data_dir}: {error}") from None

    database_url = _url(
        "DATABASE_URL",
        env.get("DATABASE_URL") or f"sqlite://{data_dir / 'channelport.sqlite3'}",
        DATABASE_SCHEMES,
    )
    broadcast_url = _url(
        "BROADCAST_URL", env.get("BROADCAST_URL") or "memory://", BROADCAST_SCHEMES
    )
    smtp_url = _url("SMTP_URL", env.get("SMTP_URL") or "capture://", SMTP_SCHEMES)
    public_url = env.get("PUBLIC_URL") or "http://127.0.0.1:8000"
    _url("PUBLIC_URL", public_url, ("http", "https"))
    portal_url = (env.get("PORTAL_URL") or "").strip()
    if portal_url:
        _url("PORTAL_URL", portal_url, ("http", "https"))
    cors_origins = tuple(o.strip() for o in (env.get("CORS_ORIGINS") or "").split(",") if o.strip())
    for origin in cors_origins:
        _url("CORS_ORIGINS", origin, ("http", "https"))
    introspection = (env.get("INTROSPECTION") or "all").strip().lower()
    if introspection not in INTROSPECTION_MODES:
        raise ConfigError("INTROSPECTION", f"expected 'all' or 'admins', got {introspection!r}")
    log_level = (env.get("LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", f"expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    mail_from = env.get("MAIL_FROM") or "Channelport <no-reply@channelport.local>"
    if "@" not in mail_from:
        raise ConfigError("MAIL_FROM", f"expected an email address, got {mail_from!r}")
    bounce_webhook_secret = env.get("BOUNCE_WEBHOOK_SECRET") or ""
    if bounce_webhook_secret and len(bounce_webhook_secret) < 16:
        raise ConfigError("BOUNCE_WEBHOOK_SECRET", "must be at least 16 characters long")

    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        broadcast_url=broadcast_url,
        smtp_url=smtp_url,
        secret_key=_secret_key(env, data_dir),
        public_url=public_url.rstrip("/"),
        cors_origins=cors_origins,
        token_lifetime_seconds=_int(env, "TOKEN_LIFETIME_SECONDS", 12 * 3600, minimum=60),
        introspection=introspection,
        embedded_worker=_bool(env, "EMBEDDED_WORKER", database_url.startswith("sqlite")),
        max_request_bytes=_int(env, "MAX_REQUEST_BYTES", 256 * 1024, minimum=1024),
        login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5),
        login_failure_window_seconds=_int(env, "LOGIN_FAILURE_WINDOW_SECONDS", 900),
        mail_from=mail_from,
        log_level=log_level,
        bounce_webhook_secret=bounce_webhook_secret,
        email_batch_size=_int(env, "EMAIL_BATCH_SIZE", 50),
        email_max_attempts=_int(env, "EMAIL_MAX_ATTEMPTS", 8),
        email_retry_seconds=_int(env, "EMAIL_RETRY_SECONDS", 60, minimum=0),
        email_lease_seconds=_int(env, "EMAIL_LEASE_SECONDS", 300),
        audit_retention_days=_int(env, "AUDIT_RETENTION_DAYS", 365),
        smtp_connections=_int(env, "SMTP_CONNECTIONS", 4),
        execution_plans=_bool(env, "EXECUTION_PLANS", True),
        trusted_documents=(env.get("TRUSTED_DOCUMENTS") or "").strip(),
        webhook_allowed_hosts=_allowed_hosts(env),
        webhook_timeout_seconds=_int(env, "WEBHOOK_TIMEOUT_SECONDS", 10),
        webhook_max_attempts=_int(env, "WEBHOOK_MAX_ATTEMPTS", 8),
        webhook_retry_seconds=_int(env, "WEBHOOK_RETRY_SECONDS", 30, minimum=0),
        webhook_disable_after_failures=_int(env, "WEBHOOK_DISABLE_AFTER_FAILURES", 20),
        webhook_disable_after_seconds=_int(
            env, "WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 3600, minimum=0
        ),
        webhook_secret_overlap_seconds=_int(
            env, "WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600, minimum=0
        ),
        webhook_lease_seconds=_int(env, "WEBHOOK_LEASE_SECONDS", 120, minimum=5),
        portal_url=portal_url.rstrip("/"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between apps)."""
    get_settings.cache_clear()
