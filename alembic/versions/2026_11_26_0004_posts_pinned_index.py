"""An index for a group's pinned posts: the group page asked for them by scanning every post of the group.

With 300,000 posts the query took 230 ms and grew with the table (bench/group_page.py); with the
index it reads the few pinned rows directly.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_posts_group_pinned_id", "posts", ["group_id", "pinned", "id"])


def downgrade() -> None:
    op.drop_index("ix_posts_group_pinned_id", table_name="posts")
