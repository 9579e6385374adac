"""Privacy: retention policies; purge, Twilio-deletion and erasure dates.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _when(name: str) -> sa.Column:
    return sa.Column(name, models.base.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("recordings_days", sa.Integer(), nullable=True),
        sa.Column("transcripts_days", sa.Integer(), nullable=True),
        sa.Column("caller_details_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_retention_policies_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_retention_policies_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_retention_policies_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policies")),
        sa.UniqueConstraint("scope", name=op.f("uq_retention_policies_scope")),
    )
    with op.batch_alter_table("voicemails") as batch:
        batch.add_column(_when("purged_at"))
        batch.add_column(_when("twilio_deleted_at"))
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(_when("blanked_at"))
    with op.batch_alter_table("callers") as batch:
        batch.add_column(_when("details_purged_at"))
        batch.add_column(_when("erased_at"))


def downgrade() -> None:
    with op.batch_alter_table("callers") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("details_purged_at")
    with op.batch_alter_table("transcripts") as batch:
        batch.drop_column("blanked_at")
    with op.batch_alter_table("voicemails") as batch:
        batch.drop_column("twilio_deleted_at")
        batch.drop_column("purged_at")
    op.drop_table("retention_policies")
