"""Moving a group between hubs (issue 18, item 3): the group's former actors (``alsoKnownAs``), and where a
group that moved away now lives (``movedTo``) and since when.

Revision ID: 0022
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("also_known_as", JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("moved_to", sa.String(1024), nullable=True))
        batch.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        for name in ("moved_at", "moved_to", "also_known_as"):
            batch.drop_column(name)
