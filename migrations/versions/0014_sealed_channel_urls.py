"""sealed channel URLs: each admin's Apprise URL kept encrypted under SECRET_KEY

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from statboard.auth.sealed import is_sealed, seal, unseal

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

channels = sa.table("notify_channels", sa.column("id", sa.Integer), sa.column("url", sa.Text))


def _rewrite(change) -> None:
    conn = op.get_bind()
    key = current_app.config["SECRET_KEY"]
    for row in conn.execute(sa.select(channels.c.id, channels.c.url)).all():
        new = change(row.url, key)
        if new is not None and new != row.url:
            conn.execute(channels.update().where(channels.c.id == row.id).values(url=new))


def upgrade():
    _rewrite(lambda url, key: url if is_sealed(url) else seal(url, key))


def downgrade():
    _rewrite(lambda url, key: unseal(url, key) if is_sealed(url) else url)
