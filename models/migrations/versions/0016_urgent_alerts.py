"""Urgent alerts: the alerts table and each station's alert settings.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

KINDS = sa.Enum("urgent", "missed_forward", name="alertkind", native_enum=False, length=32)
CHANNELS = sa.Enum("sms", "call", name="alertchannel", native_enum=False, length=32)
STATES = sa.Enum(
    "pending",
    "sending",
    "sent",
    "retrying",
    "given_up",
    "skipped",
    "cancelled",
    name="alertstate",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("kind", KINDS, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("channel", CHANNELS, nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("state", STATES, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_alerts_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_alerts_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_alerts_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alerts_idempotency_key")),
    )
    op.create_index("ix_alerts_ticket_id", "alerts", ["ticket_id"])
    op.create_index("ix_alerts_state_next_try_at", "alerts", ["state", "next_try_at"])
    op.create_index("ix_alerts_due_at", "alerts", ["due_at"])
    # Adding columns is a plain ALTER TABLE on SQLite too: no rebuild of ``stations``.
    op.add_column(
        "stations", sa.Column("alerts_enabled", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column(
        "stations",
        sa.Column("alert_escalation_minutes", sa.Integer(), server_default="10", nullable=False),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the triggers on
    # ``stations`` (0008).
    op.drop_column("stations", "alert_escalation_minutes")
    op.drop_column("stations", "alerts_enabled")
    op.drop_index("ix_alerts_due_at", table_name="alerts")
    op.drop_index("ix_alerts_state_next_try_at", table_name="alerts")
    op.drop_index("ix_alerts_ticket_id", table_name="alerts")
    op.drop_table("alerts")
