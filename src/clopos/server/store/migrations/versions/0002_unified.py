"""unified layer: apps, consumer connections, tombstones, idempotency keys

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unified_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unified_apps")),
        sa.UniqueConstraint("app_id", name=op.f("uq_unified_apps_app_id")),
    )
    op.create_table(
        "unified_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unified_app_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.String(length=255), nullable=False),
        sa.Column("service_id", sa.String(length=32), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("api_version", sa.String(length=2), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("integrator_id", sa.String(length=128), nullable=True),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unified_app_id"],
            ["unified_apps.id"],
            name=op.f("fk_unified_connections_unified_app_id_unified_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unified_connections")),
        sa.UniqueConstraint(
            "unified_app_id",
            "consumer_id",
            "service_id",
            name=op.f("uq_unified_connections_unified_app_id_consumer_id_service_id"),
        ),
    )
    with op.batch_alter_table("unified_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unified_connections_unified_app_id"), ["unified_app_id"], unique=False
        )

    op.create_table(
        "unified_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("unified_id", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["unified_connections.id"],
            name=op.f("fk_unified_tombstones_connection_id_unified_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unified_tombstones")),
        sa.UniqueConstraint(
            "connection_id",
            "unified_id",
            name=op.f("uq_unified_tombstones_connection_id_unified_id"),
        ),
    )
    with op.batch_alter_table("unified_tombstones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unified_tombstones_connection_id"), ["connection_id"], unique=False
        )

    op.create_table(
        "unified_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("unified_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["unified_connections.id"],
            name=op.f("fk_unified_idempotency_keys_connection_id_unified_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unified_idempotency_keys")),
        sa.UniqueConstraint(
            "connection_id", "key", name=op.f("uq_unified_idempotency_keys_connection_id_key")
        ),
    )
    with op.batch_alter_table("unified_idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unified_idempotency_keys_connection_id"),
            ["connection_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_unified_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unified_idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unified_idempotency_keys_expires_at"))
        batch_op.drop_index(batch_op.f("ix_unified_idempotency_keys_connection_id"))
    op.drop_table("unified_idempotency_keys")
    with op.batch_alter_table("unified_tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unified_tombstones_connection_id"))
    op.drop_table("unified_tombstones")
    with op.batch_alter_table("unified_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unified_connections_unified_app_id"))
    op.drop_table("unified_connections")
    op.drop_table("unified_apps")
