"""block_rows: a block is one or two grid rows tall

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rows", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_column("rows")
