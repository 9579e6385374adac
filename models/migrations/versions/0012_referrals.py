"""Referrals: the receiving station accepts or declines, and the whole history is kept.

A new table only; ``tickets`` is not altered, so the queue-version triggers of 0010 stay
(a referral's every step also writes the ticket or its trail, which bumps both sides).
Tickets referred before this revision have no row: they count as accepted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STATES = ("pending", "accepted", "declined", "resolved")


def upgrade() -> None:
    when = models.base.UTCDateTime()
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_station_id", sa.Integer(), nullable=True),
        sa.Column("to_station_id", sa.Integer(), nullable=False),
        sa.Column(
            "state", sa.Enum(*STATES, name="referralstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sent_at", when, nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("accept_due_at", when, nullable=False),
        sa.Column("answered_at", when, nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("resolved_at", when, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome_category", sa.String(length=32), nullable=True),
        sa.Column("outcome_problems", sa.Integer(), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("notice_unread", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_referrals_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_station_id"], ["stations.id"],
            name=op.f("fk_referrals_from_station_id_stations"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_station_id"], ["stations.id"],
            name=op.f("fk_referrals_to_station_id_stations"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_referrals_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_referrals_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_referrals_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_ticket_id", ["ticket_id"], unique=False)
        batch_op.create_index(
            "ix_referrals_from_station_id_sent_at", ["from_station_id", "sent_at"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_to_station_id_state", ["to_station_id", "state"], unique=False
        )
        batch_op.create_index(
            "uq_referrals_pending_per_ticket",
            ["ticket_id"],
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )
        batch_op.create_index(
            "ix_referrals_unread_notices",
            ["from_station_id"],
            unique=False,
            sqlite_where=sa.text("notice_unread"),
            postgresql_where=sa.text("notice_unread"),
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_unread_notices")
        batch_op.drop_index("uq_referrals_pending_per_ticket")
        batch_op.drop_index("ix_referrals_to_station_id_state")
        batch_op.drop_index("ix_referrals_from_station_id_sent_at")
        batch_op.drop_index("ix_referrals_ticket_id")
    op.drop_table("referrals")
