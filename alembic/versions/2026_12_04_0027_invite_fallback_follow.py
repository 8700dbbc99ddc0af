"""An invite sent as a follow: the collaboration space's follow that stands in for an Invite the invited group's
software does not understand (Lemmy, Mbin, kbin, Mobilizon, Friendica); its Accept or Reject answers the invite.

Revision ID: 0027
Revises: 0020
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("follow_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_invites_follow_id", "group_follows", ["follow_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_constraint("fk_invites_follow_id", type_="foreignkey")
        batch.drop_column("follow_id")
