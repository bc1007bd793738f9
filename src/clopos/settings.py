"""Typed settings for the server and CLI, read from ``CLOPOS_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./clopos.db"


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
    # scrypt cost for client secrets; lowered only by the test suite.
    secret_hash_n: int = Field(default=2**14, ge=2)
