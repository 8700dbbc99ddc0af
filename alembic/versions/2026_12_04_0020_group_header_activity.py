"""A group's header image, and the indexes the group page's weekly activity chart counts by.

Revision ID: 0020
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("header_path", sa.String(255), nullable=True))
    op.create_index("ix_posts_group_state_published", "posts", ["group_id", "state", "published_at"])
    op.create_index("ix_memberships_group_state_created", "memberships", ["group_id", "state", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_memberships_group_state_created", "memberships")
    op.drop_index("ix_posts_group_state_published", "posts")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("header_path")
