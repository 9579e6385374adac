"""Outreach campaigns (电访): call lists, their entries and every call made.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _state(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_campaigns_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_campaigns_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        _state("state"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        _state("last_outcome", nullable=True),
        sa.Column("last_tried_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"],
            name=op.f("fk_campaign_entries_campaign_id_campaigns"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["caller_id"], ["callers.id"],
            name=op.f("fk_campaign_entries_caller_id_callers"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"],
            name=op.f("fk_campaign_entries_station_id_stations"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"],
            name=op.f("fk_campaign_entries_assignee_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"],
            name=op.f("fk_campaign_entries_ticket_id_tickets"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_entries")),
        sa.UniqueConstraint(
            "campaign_id", "caller_id", name=op.f("uq_campaign_entries_campaign_id_caller_id")
        ),
    )
    op.create_index(
        "ix_campaign_entries_assignee_state",
        "campaign_entries",
        ["assignee_id", "state", "next_try_at"],
    )
    op.create_index(
        op.f("ix_campaign_entries_station_id"), "campaign_entries", ["station_id"]
    )
    op.create_table(
        "campaign_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _state("outcome", nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("dial_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["campaign_entries.id"],
            name=op.f("fk_campaign_attempts_entry_id_campaign_entries"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"],
            name=op.f("fk_campaign_attempts_worker_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempts")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_campaign_attempts_call_sid")),
    )
    op.create_index(
        op.f("ix_campaign_attempts_entry_id"), "campaign_attempts", ["entry_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_attempts_entry_id"), table_name="campaign_attempts")
    op.drop_table("campaign_attempts")
    op.drop_index(op.f("ix_campaign_entries_station_id"), table_name="campaign_entries")
    op.drop_index("ix_campaign_entries_assignee_state", table_name="campaign_entries")
    op.drop_table("campaign_entries")
    op.drop_table("campaigns")
