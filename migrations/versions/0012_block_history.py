"""block history: drafts, deleted blocks that may be undone, and earlier versions

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "block_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_block_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["blocks.id"],
            name=op.f("fk_block_versions_block_id_blocks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_versions")),
        sa.UniqueConstraint("block_id", "version", name=op.f("uq_block_versions_block_id")),
    )
    with op.batch_alter_table("block_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_block_versions_block_id"), ["block_id"], unique=False)

    with op.batch_alter_table("blocks", schema=None) as batch_op:
        # The blocks there are were published: none is a draft.
        batch_op.add_column(
            sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_blocks_deleted_at"), ["deleted_at"], unique=False)


def downgrade():
    # Blocks deleted within their undo window go for good.
    op.execute("DELETE FROM blocks WHERE deleted_at IS NOT NULL")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_deleted_at"))
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("draft")

    with op.batch_alter_table("block_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_versions_block_id"))

    op.drop_table("block_versions")
