"""page addresses: earlier addresses of pages (aliases) and deleted pages kept for undo

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "page_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_page_aliases_page_id_pages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_aliases")),
        sa.UniqueConstraint("slug", name=op.f("uq_page_aliases_slug")),
    )
    with op.batch_alter_table("page_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_aliases_page_id"), ["page_id"], unique=False)
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_pages_deleted_at"), ["deleted_at"], unique=False)


def downgrade():
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pages_deleted_at"))
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("page_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_aliases_page_id"))
    op.drop_table("page_aliases")
