"""remote hosts belong to the "remote_hosts" block they were added on

Revision ID: 0006
Revises: 0005

Existing hosts go to the first "remote_hosts" block (the lowest id); with no such
block they stay without one: checked, listed nowhere.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("remote_hosts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("block_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_remote_hosts_block_id"), ["block_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_remote_hosts_block_id_blocks"),
            "blocks",
            ["block_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.execute(
        "UPDATE remote_hosts SET block_id = "
        "(SELECT MIN(id) FROM blocks WHERE kind = 'remote_hosts')"
    )


def downgrade():
    with op.batch_alter_table("remote_hosts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_remote_hosts_block_id_blocks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_remote_hosts_block_id"))
        batch_op.drop_column("block_id")
