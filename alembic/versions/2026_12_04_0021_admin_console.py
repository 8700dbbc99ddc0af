"""The admin console: group suspension (by the hub's administrators) and instance settings changed in the browser.

Revision ID: 0021
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0012"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("suspended_at", TS))
        batch.add_column(sa.Column("suspension_reason", sa.Text()))
    op.create_table(
        "instance_settings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("instance_settings")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_at")
