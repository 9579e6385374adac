"""Transcript corrections: people's corrections kept beside the machine's transcript.

A new table only (the new ticket event kind needs no schema change: event kinds are a
VARCHAR without a CHECK), so no existing table is rebuilt and 0010's SQLite triggers stay.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CURRENT = "superseded_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "transcript_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("machine_edits", sa.Integer(), nullable=False),
        sa.Column("reference_length", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("blanked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["transcripts.id"],
            name=op.f("fk_transcript_corrections_transcript_id_transcripts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_transcript_corrections_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_corrections")),
    )
    with op.batch_alter_table("transcript_corrections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transcript_corrections_transcript_id", ["transcript_id"], unique=False
        )
        batch_op.create_index(
            "uq_transcript_corrections_current",
            ["transcript_id"],
            unique=True,
            sqlite_where=sa.text(CURRENT),
            postgresql_where=sa.text(CURRENT),
        )
        batch_op.create_index("ix_transcript_corrections_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transcript_corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_transcript_corrections_created_at")
        batch_op.drop_index("uq_transcript_corrections_current")
        batch_op.drop_index("ix_transcript_corrections_transcript_id")
    op.drop_table("transcript_corrections")
