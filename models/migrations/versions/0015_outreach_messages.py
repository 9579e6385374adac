"""Outreach messages: the outbox of texts to residents, opt-outs, and station settings
for the acknowledgement text (on/off, wording per language, quiet hours).

The station columns are added and dropped without a batch rebuild (SQLite 3.35+ drops a
column in place), so the station triggers of 0008 stay.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

STATES = ("queued", "sending", "sent", "failed", "held_quiet_hours", "opted_out")


def upgrade() -> None:
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="outboundstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_outbound_messages_station_id_stations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_outbound_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbound_messages_idempotency_key")),
    )
    op.create_index(
        "ix_outbound_messages_state_send_after", "outbound_messages", ["state", "send_after"]
    )
    op.create_index("ix_outbound_messages_ticket_id", "outbound_messages", ["ticket_id"])
    op.create_index("ix_outbound_messages_to_number", "outbound_messages", ["to_number"])
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone_number", sa.String(length=32), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("word", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number", name=op.f("pk_sms_opt_outs")),
    )
    op.add_column(
        "stations",
        sa.Column("acknowledge_by_sms", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "stations",
        sa.Column("acknowledgement_texts", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )
    op.add_column(
        "stations",
        sa.Column("quiet_hours_start", sa.String(length=5), server_default="21:00", nullable=False),
    )
    op.add_column(
        "stations",
        sa.Column("quiet_hours_end", sa.String(length=5), server_default="08:00", nullable=False),
    )


def downgrade() -> None:
    for column in (
        "quiet_hours_end",
        "quiet_hours_start",
        "acknowledgement_texts",
        "acknowledge_by_sms",
    ):
        op.drop_column("stations", column)
    op.drop_table("sms_opt_outs")
    op.drop_index("ix_outbound_messages_to_number", table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_ticket_id", table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_state_send_after", table_name="outbound_messages")
    op.drop_table("outbound_messages")
