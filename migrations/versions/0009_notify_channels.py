"""notify channels: each admin's Apprise URLs, and the channels' own marks

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notify_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notify_channels_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_channels")),
    )
    with op.batch_alter_table("notify_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_channels_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("change_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_change_batches_channels_at"), ["channels_at"], unique=False
        )
    # What was mailed before channels existed is not sent to them now.
    op.execute("UPDATE change_batches SET channels_at = sent_at")
    with op.batch_alter_table("notify_choices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channels_until",
                sa.DateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )


def downgrade():
    with op.batch_alter_table("notify_choices", schema=None) as batch_op:
        batch_op.drop_column("channels_until")
    with op.batch_alter_table("change_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_batches_channels_at"))
        batch_op.drop_column("channels_at")
    with op.batch_alter_table("notify_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_channels_user_id"))
    op.drop_table("notify_channels")
