"""unified webhooks: consumer subscriptions, their deliveries and attempts

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unified_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("api_base_url", sa.String(length=500), nullable=False),
        sa.Column("cursor_event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["unified_connections.id"],
            name="fk_unified_webhooks_connection_id_unified_connections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unified_webhooks"),
    )
    op.create_index(
        "ix_unified_webhooks_connection_id", "unified_webhooks", ["connection_id"], unique=False
    )

    op.create_table(
        "unified_webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("source_event_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("entity_url", sa.String(length=700), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_started_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["unified_webhooks.id"],
            name="fk_unified_webhook_deliveries_webhook_id_unified_webhooks",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_event_id"],
            ["events.id"],
            name="fk_unified_webhook_deliveries_source_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unified_webhook_deliveries"),
        sa.UniqueConstraint(
            "webhook_id", "event_key", name="uq_unified_webhook_deliveries_webhook_id_event_key"
        ),
    )
    op.create_index(
        "ix_unified_webhook_deliveries_status_next",
        "unified_webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_unified_webhook_deliveries_webhook_status_id",
        "unified_webhook_deliveries",
        ["webhook_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "ix_unified_webhook_deliveries_webhook_entity",
        "unified_webhook_deliveries",
        ["webhook_id", "entity_id"],
        unique=False,
    )
    op.create_index(
        "ix_unified_webhook_deliveries_source_event_id",
        "unified_webhook_deliveries",
        ["source_event_id"],
        unique=False,
    )
    op.create_index(
        "ix_unified_webhook_deliveries_lease_token",
        "unified_webhook_deliveries",
        ["lease_token"],
        unique=False,
    )

    op.create_table(
        "unified_webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=False),
        # Named by hand: the convention's name would pass PostgreSQL's 63-character limit.
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["unified_webhook_deliveries.id"],
            name="fk_unified_webhook_attempts_delivery_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unified_webhook_attempts"),
    )
    op.create_index(
        "ix_unified_webhook_attempts_delivery_id",
        "unified_webhook_attempts",
        ["delivery_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("unified_webhook_attempts")
    op.drop_table("unified_webhook_deliveries")
    op.drop_table("unified_webhooks")
