"""Typed settings for the server and CLI, read from ``CLOPOS_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./clopos.db"
MIN_SECRET_KEY_LENGTH = 16


class Settings(BaseSettings):
    """Server settings. Every field maps to ``CLOPOS_<FIELD_NAME>`` (see README)."""

    model_config = SettingsConfigDict(env_prefix="CLOPOS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 key for v2 tokens; generated and stored in the database when unset.",
    )
    admin_token: SecretStr | None = None
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key (16+ characters) that encrypts secrets stored in the database (unified "
            "connections, webhook endpoints); when unset one is generated and stored in the "
            "database itself (development only)."
        ),
    )
    token_ttl_seconds: int = Field(default=3600, ge=1)

    # Rate limits (spec §8). Tests lower these.
    rate_limit_enabled: bool = True
    rate_limit_auth_per_minute: int = Field(default=60, ge=1)
    rate_limit_failed_per_minute: int = Field(default=600, ge=1)
    rate_limit_tenant_per_minute: int = Field(default=300, ge=1)
    rate_limit_v1_per_minute: int = Field(default=100, ge=1)
    rate_limit_v1_per_hour: int = Field(default=1000, ge=1)
    rate_limit_key_prefix: str = "clopos"

    max_body_bytes: int = Field(default=1_048_576, ge=1)

    # Webhooks (docs/events.md). Tests shorten the retry schedule.
    webhook_worker: bool = Field(
        default=True, description="Deliver webhooks from inside `clopos serve`."
    )
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_retry_first_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=86400.0, gt=0)
    webhook_batch_size: int = Field(default=10, ge=1, le=100)
    # Events (and their finished deliveries) older than this are pruned; 0 keeps them all.
    event_retention_days: int = Field(default=30, ge=0)
    # scrypt cost for client secrets; lowered only by the test suite.
    secret_hash_n: int = Field(default=2**14, ge=2)

    @field_validator("secret_key")
    @classmethod
    def _long_enough_key(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty variable means "unset"; a short one is a mistake, not a key.
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_LENGTH} characters; make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value
