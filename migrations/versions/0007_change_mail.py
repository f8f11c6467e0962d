"""change mail: batches of change records waiting to be mailed, each admin's choice

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=36), nullable=False),
        sa.Column("group", sa.String(length=120), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_batches")),
        sa.UniqueConstraint("batch", name=op.f("uq_change_batches_batch")),
    )
    with op.batch_alter_table("change_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_batches_group"), ["group"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_batches_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_batches_sent_at"), ["sent_at"], unique=False)
    op.create_table(
        "notify_choices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("daily_hour", sa.Integer(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=True),
        sa.Column("digest_until", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notify_choices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notify_choices")),
    )


def downgrade():
    op.drop_table("notify_choices")
    with op.batch_alter_table("change_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_batches_sent_at"))
        batch_op.drop_index(batch_op.f("ix_change_batches_due_at"))
        batch_op.drop_index(batch_op.f("ix_change_batches_group"))
    op.drop_table("change_batches")
