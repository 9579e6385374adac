"""Stored files in the database: blobs and their chunks (``IVR_STORAGE_BACKEND=database``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_blobs")),
        sa.UniqueConstraint("key", name=op.f("uq_storage_blobs_key")),
        # Never an id again once deleted: a reader between two chunks holds the old one.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "storage_chunks",
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"],
            ["storage_blobs.id"],
            name=op.f("fk_storage_chunks_blob_id_storage_blobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blob_id", "ordinal", name=op.f("pk_storage_chunks")),
    )


def downgrade() -> None:
    op.drop_table("storage_chunks")
    op.drop_table("storage_blobs")
