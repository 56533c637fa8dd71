"""All configuration, read once from environment variables."""

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.event_log import DEFAULT_RETENTION_DAYS
from infra.webhook_schedule import DEFAULT_RETRY_SCHEDULE, parse_retry_schedule

DEFAULT_DATABASE_NAME = "retail_performer"
JWT_SECRET_FILE = "jwt-secret"
# Where links point when neither RPAI_PUBLIC_URL nor `rpai serve` says otherwise (plain uvicorn).
FALLBACK_PUBLIC_URL = "http://127.0.0.1:8000"


class Settings(BaseSettings):
    """Service settings; every field maps to an environment variable."""

    model_config = SettingsConfigDict(env_prefix="RPAI_", extra="ignore")

    mongodb_url: str | None = Field(default=None, validation_alias="MONGODB_URL")
    data_dir: Path = Path("./data")
    db_timeout_seconds: float = Field(default=5.0, gt=0)
    key_expiry_warning_days: int = 14
    key_usage_flush_seconds: float = Field(default=5.0, gt=0)
    key_cache_seconds: float = Field(default=5.0, ge=0, le=5)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    auth_failures_per_minute: int = Field(default=30, ge=1)
    # Callers without credentials, counted per address: never more than a key may do.
    anonymous_rate_limit_per_minute: int = Field(default=120, ge=1)
    login_failures_per_address: int = Field(default=50, ge=1)
    login_failures_per_email_and_address: int = Field(default=10, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    password_resets_per_address: int = Field(default=20, ge=1)
    password_resets_per_email: int = Field(default=3, ge=1)
    password_reset_window_seconds: int = Field(default=3600, ge=1)
    rate_limit_sync_seconds: float = Field(default=1.0, gt=0)
    workers: int = Field(default=1, ge=1)  # `rpai serve` processes on one port
    audit_flush_seconds: float = Field(default=1.0, gt=0)
    audit_retention_days: int = Field(default=90, ge=1)
    event_retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1)
    jwt_secret: SecretStr | None = None
    jwt_ttl_minutes: int = Field(default=720, ge=1)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    graphql_max_cost: int = Field(default=50_000, ge=1)
    graphql_cost_restore_rate: float = Field(default=2_500.0, gt=0)
    anonymous_graphql_max_cost: int = Field(default=5_000, ge=1)
    anonymous_graphql_cost_restore_rate: float = Field(default=250.0, gt=0)
    summary_queries_per_caller: int = Field(default=1, ge=1)
    summary_queries_waiting: int = Field(default=4, ge=0)
    summary_time_share: float = Field(default=0.25, gt=0, le=1)
    summary_time_burst_seconds: float = Field(default=2.0, gt=0)
    subscription_connections_per_principal: int = Field(default=10, ge=1)
    subscriptions_per_principal: int = Field(default=50, ge=1)
    # Webhook endpoints on http or at private addresses: for development and tests only.
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Seconds to wait after each failed attempt, comma-separated; spent, the delivery fails.
    webhook_retry_schedule: str = DEFAULT_RETRY_SCHEDULE
    webhook_disable_after_days: float = Field(default=5.0, gt=0)
    # How often each process looks for events to fan out and deliveries due: commit to first
    # attempt is at most about this on an idle server.
    webhook_poll_seconds: float = Field(default=0.5, gt=0)
    # How often each process folds the store days syncs wrote into their month rollups.
    kpi_fold_seconds: float = Field(default=0.5, gt=0)
    # KPI imports: the largest file POST /kpi/imports takes (other requests: 1 MiB), how often
    # each process looks for a job to run, and the share of its time a running job takes.
    import_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    import_poll_seconds: float = Field(default=1.0, gt=0)
    import_share: float = Field(default=0.8, gt=0, le=1)
    # How long a running job stays its worker's without a checkpoint: past it, another process
    # (or this one restarted) takes it over.
    import_lease_seconds: float = Field(default=60.0, gt=0)
    # How long a claimed delivery stays its worker's: past it, another process takes it over.
    webhook_lease_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str = "Retail Performer AI <no-reply@retailperformerai.com>"
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    key_expiry_check_seconds: float = Field(default=300.0, gt=0)
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    # Addresses of the proxies whose X-Forwarded-For `rpai serve` believes; none by default.
    forwarded_allow_ips: str = Field(default="", validation_alias="FORWARDED_ALLOW_IPS")

    @field_validator("webhook_retry_schedule")
    @classmethod
    def retry_schedule(cls, value: str) -> str:
        """Comma-separated positive seconds, checked at start-up rather than at a failure."""
        parse_retry_schedule(value)
        return value

    @model_validator(mode="after")
    def lease_outlasts_an_attempt(self) -> Self:
        """A live worker never loses its delivery mid-attempt to another process."""
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "RPAI_WEBHOOK_LEASE_SECONDS must be over RPAI_WEBHOOK_TIMEOUT_SECONDS "
                "(a delivery would be taken over while its attempt still runs)"
            )
        return self

    @model_validator(mode="after")
    def anonymous_within_authenticated(self) -> Self:
        """An anonymous request may never cost the server more than an authenticated one."""
        pairs = (
            ("ANONYMOUS_RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_PER_MINUTE"),
            ("ANONYMOUS_GRAPHQL_MAX_COST", "GRAPHQL_MAX_COST"),
            ("ANONYMOUS_GRAPHQL_COST_RESTORE_RATE", "GRAPHQL_COST_RESTORE_RATE"),
        )
        for anonymous, authenticated in pairs:
            if getattr(self, anonymous.lower()) > getattr(self, authenticated.lower()):
                raise ValueError(
                    f"RPAI_{anonymous} must not be over RPAI_{authenticated} "
                    "(an anonymous caller may never do more than an authenticated one)"
                )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings()


def public_url(settings: Settings) -> str:
    """The address people reach the service at, for the links it emails."""
    return (settings.public_url or FALLBACK_PUBLIC_URL).rstrip("/")


def listening_url(host: str, port: int) -> str:
    """`http://HOST:PORT` for the address a server binds; a wildcard address becomes loopback,
    the one address of this machine that is sure to reach it."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def jwt_secret(settings: Settings) -> str:
    """RPAI_JWT_SECRET, else a secret generated once and kept (mode 0600) in the data directory."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path = settings.data_dir / JWT_SECRET_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
