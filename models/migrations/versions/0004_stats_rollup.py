"""Statistics: the per-station-day rollup and the indexes the live figures read by.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNTS = (
    "calls_received",
    "calls_answered",
    "calls_to_voicemail",
    "calls_abandoned",
    "person_times",
    "voicemails",
    "tickets_opened",
    "tickets_resolved",
    "tickets_overdue",
    "referrals_sent",
    "referrals_received",
    "first_callback_within_sla",
    "resolution_within_sla",
    "problems_food",
    "problems_medicine",
    "problems_medical",
    "problems_emotional",
    "problems_policy",
    "problems_other",
    "vulnerable_dibao",
    "vulnerable_dishou",
    "vulnerable_tekun",
    "vulnerable_lone_elderly",
    "vulnerable_child_in_difficulty",
    "vulnerable_severe_disability",
)
LISTS = ("calls_by_hour", "first_callback_minutes", "resolution_minutes")


def upgrade() -> None:
    op.create_table(
        "station_day_figures",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.JSON(), nullable=False) for name in LISTS),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("computed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_day_figures_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", "day", name=op.f("pk_station_day_figures")),
    )
    with op.batch_alter_table("station_day_figures", schema=None) as batch_op:
        batch_op.create_index("ix_station_day_figures_day", ["day"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_resolved_at", ["resolved_at"], unique=False)
        batch_op.create_index("ix_tickets_first_callback_at", ["first_callback_at"], unique=False)
        batch_op.create_index("ix_tickets_due_at", ["due_at"], unique=False)
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_voicemails_unfinished_created",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("voicemails.state IN ('received', 'fetched', 'failed')"),
            postgresql_where=sa.text("voicemails.state IN ('received', 'fetched', 'failed')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_index("ix_voicemails_unfinished_created")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_due_at")
        batch_op.drop_index("ix_tickets_first_callback_at")
        batch_op.drop_index("ix_tickets_resolved_at")
    with op.batch_alter_table("station_day_figures", schema=None) as batch_op:
        batch_op.drop_index("ix_station_day_figures_day")
    op.drop_table("station_day_figures")
